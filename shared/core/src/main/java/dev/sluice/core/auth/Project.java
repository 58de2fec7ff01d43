package dev.sluice.core.auth;

/**
 * A project of a deployment, as the operator's {@code sluice admin projects} commands create and list it: its id
 * ({@code proj_…}, the id every record of the project is stored under), a name to recognise it by, and when it was made
 * (epoch milliseconds). No public route creates, lists or reads projects: only the deployer's AWS credentials reach
 * the directory they are kept in ({@link Projects}).
 */
public record Project(String id, String object, String name, long createTime) {
    public static final String OBJECT = "project";
    public static final dev.sluice.core.IdKind<Project> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.PROJECT,
            OBJECT, "project", Project.class);
}
