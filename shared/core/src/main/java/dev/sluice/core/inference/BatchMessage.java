package dev.sluice.core.inference;

import dev.sluice.core.dataset.Item;

import java.util.List;

/**
 * One message of an inference queue: the valid items of lines [k*B, (k+1)*B) of a job's dataset. The batch id
 * depends only on the line range, so a re-run fan-out produces the same batches and the ledger deduplicates them.
 */
public record BatchMessage(String jobId, String batchId, List<Item> items) {
    public static String batchId(long firstLine, int batchSize) {
        return "b" + (firstLine / batchSize);
    }
}
