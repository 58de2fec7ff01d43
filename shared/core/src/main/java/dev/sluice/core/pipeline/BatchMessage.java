package dev.sluice.core.pipeline;

import java.util.List;

/**
 * One message of an inference queue: the valid items of lines [k*B, (k+1)*B) of a job's dataset. The batch id
 * depends only on the line range, so a re-run fan-out produces the same batches and the ledger deduplicates them.
 */
public record BatchMessage(String jobId, String batchId, List<Item> items, Integer deferrals)
        implements QueueMessage {
    /** The most items a batch holds (a job's or a deployment's batchSize is 1..this). */
    public static final int MAX_BATCH_SIZE = 256;

    public BatchMessage(String jobId, String batchId, List<Item> items) {
        this(jobId, batchId, items, null);
    }

    @Override
    public MessageKind kind() {
        return MessageKind.BATCH;
    }

    public static String batchId(long firstLine, int batchSize) {
        return "b" + (firstLine / batchSize);
    }

    /** How many times a worker put this batch back because its items were slow to arrive (0 at first). */
    public int timesDeferred() {
        return deferrals == null ? 0 : deferrals;
    }

    /** The same batch, put back once more. */
    public BatchMessage deferred() {
        return new BatchMessage(jobId, batchId, items, timesDeferred() + 1);
    }
}
