package dev.sluice.core.auth;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.port.Catalog;

/**
 * The operator's administration of projects (issue 28): create a project, list them, create a project's API key. It
 * runs with the deployer's AWS credentials against the tables directly (`sluice admin`, and `./sluice deploy` for the
 * first project), never behind a public route: an API key belongs to one project and cannot make another.
 *
 * <p>Projects are kept in the catalog table under the partition {@link #DIRECTORY}, which no request can reach: a
 * request's partition is its API key's project id, always {@code proj_…} (made here or by `sluice local`).
 */
public final class Projects {
    /** The catalog partition of the project directory; never a project id (those start with {@code proj_}). */
    public static final String DIRECTORY = "sluice#projects";

    private final Catalog catalog;
    private final ApiKeys keys;
    private final Clock clock;

    public Projects(Catalog catalog, ApiKeys keys, Clock clock) {
        this.catalog = catalog;
        this.keys = keys;
        this.clock = clock;
    }

    /** A new project named {@code name} (1 to {@link Validation#MAX_NAME_LENGTH} characters; codes project.name_required, project.name_too_long, project.bad_name). */
    public Project create(String name) {
        long now = clock.nowMillis();
        Project project = new Project(Ids.newId(Ids.PROJECT, now), Project.OBJECT, Validation.name(name, "project"), now);
        catalog.put(DIRECTORY, project.id(), project);
        return project;
    }

    /** The projects in creation order, a page at a time. */
    public Page<Project> list(PageRequest page) {
        return catalog.list(DIRECTORY, Project.KIND, page);
    }

    /**
     * A new API key of the project, shown in this response only (as {@code POST /keys} shows it).
     *
     * @throws SluiceException 404 {@code project.not_found} when no project has this id
     */
    public ApiKey createKey(String projectId, String name) {
        Validation.id(projectId, Ids.PROJECT, "project.bad_id", "project");
        catalog.get(DIRECTORY, Project.KIND, projectId).orElseThrow(() -> Project.KIND.notFound(projectId));
        return keys.create(projectId, new ApiKeys.CreateRequest(name));
    }
}
