package dev.sluice.core;

import java.util.Optional;

/**
 * What uses a record of a project, asked before the record is deleted (issue 24 item 6: deleting a model a deployment
 * uses answered 200, and the next job on that deployment failed {@code model.not_found}).
 */
@FunctionalInterface
public interface InUse {
    /** Nothing uses anything. */
    InUse NOTHING = (projectId, id) -> Optional.empty();

    /** The user of the project's record, as {@code "deployment deploy_…"} or {@code "job batchjob_…"}, if any. */
    Optional<String> by(String projectId, String id);

    /**
     * Refuses a delete while the record is used: 409 {@code <noun>.in_use} naming the user and what to do.
     *
     * @throws SluiceException 409 {@code <noun>.in_use}
     */
    default void refuse(String projectId, String id, String noun) {
        by(projectId, id).ifPresent(user -> {
            throw SluiceException.conflict(noun + ".in_use", noun + " " + id + " is used by " + user
                    + (user.startsWith("job") ? "; delete the " + noun + " once that job has ended (or cancel it)"
                    : "; delete that " + user.substring(0, user.indexOf(' ')) + " first"));
        });
    }
}
