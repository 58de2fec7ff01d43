package dev.sluice.core.pipeline;

/**
 * A queue message of an execution. {@code list} (fan-out queue): list the source folder from {@code cursor},
 * {@code listed} files so far and {@code hidden} hidden or marker files skipped (null: 0). {@code file} (inference queue): run the model over one file, the {@code index}-th of the
 * listing.
 */
public record ExecutionTask(String execution, String projectId, String step, Long index, String file, String cursor,
                            Long listed, Long hidden) implements QueueMessage {
    public static final String LIST = "list";
    public static final String FILE = "file";

    @Override
    public MessageKind kind() {
        return MessageKind.EXECUTION_TASK;
    }

    public static ExecutionTask list(String projectId, String id, String cursor, long listed) {
        return list(projectId, id, cursor, listed, 0);
    }

    public static ExecutionTask list(String projectId, String id, String cursor, long listed, long hidden) {
        return new ExecutionTask(id, projectId, LIST, null, null, cursor, listed, hidden);
    }

    public static ExecutionTask file(String projectId, String id, long index, String file) {
        return new ExecutionTask(id, projectId, FILE, index, file, null, null, null);
    }
}
