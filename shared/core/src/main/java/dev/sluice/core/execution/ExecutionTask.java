package dev.sluice.core.execution;

import dev.sluice.core.Json;

/**
 * A queue message of an execution. {@code list} (fan-out queue): list the source folder from {@code cursor},
 * {@code listed} files so far. {@code file} (inference queue): run the model over one file, the {@code index}-th of the
 * listing.
 */
public record ExecutionTask(String execution, String projectId, String step, Long index, String file, String cursor,
                            Long listed) {
    public static final String LIST = "list";
    public static final String FILE = "file";

    public static ExecutionTask list(String projectId, String id, String cursor, long listed) {
        return new ExecutionTask(id, projectId, LIST, null, null, cursor, listed);
    }

    public static ExecutionTask file(String projectId, String id, long index, String file) {
        return new ExecutionTask(id, projectId, FILE, index, file, null, null);
    }

    /** True when a queue message body is an execution's task rather than a job's message. */
    public static boolean isOne(String body) {
        if (body == null || !body.contains("\"execution\"")) {
            return false; // the common case, a job's batch, without parsing it an extra time
        }
        try {
            return Json.tree(body).hasNonNull("execution");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
