package dev.sluice.core;

import java.util.List;

/**
 * Every key Sluice writes in its data bucket, in one place. The layout:
 *
 * <pre>
 * datasets/{projectId}/{datasetId}.ndjson                     an uploaded dataset (expires after 30 days)
 * models/{projectId}/{modelId}.onnx                           an uploaded model
 * executions/{projectId}/{executionId}/files/{first}.json     a chunk of an execution's file list (12-digit first index)
 * executions/{projectId}/{executionId}/files/index.json       the first index of every chunk, written last
 * results/{projectId}/{jobId}/parts/{name}.ndjson             one invocation's results part (see resultsPart)
 * results/{projectId}/{jobId}/manifest.json                   the job's manifest, written when it ends
 * results/{projectId}/{jobId}/errors.ndjson                   the job's failed items, written when it ends
 * results/{projectId}/{jobId}/deliveries/{batchId}-{hash}.json  a batch's webhook payloads too large for a queue message
 * deliveries/{projectId}/{webhookId}/{13-digit reversed time}-{nonce}.ndjson  one round of a webhook's POST attempts
 * </pre>
 *
 * Everything under {@link #RESULTS}, {@link #DATASETS} and {@link #DELIVERIES} expires by the bucket's lifecycle rules
 * (infra: DataStore).
 */
public final class ObjectKeys {
    public static final String DATASETS = "datasets/";
    public static final String MODELS = "models/";
    public static final String EXECUTIONS = "executions/";
    public static final String RESULTS = "results/";
    /** Webhook delivery attempts ({@code delivery.DeliveryLog}); expire after 7 days. */
    public static final String DELIVERIES = "deliveries/";

    private ObjectKeys() {
    }

    public static String dataset(String projectId, String datasetId) {
        return DATASETS + projectId + "/" + datasetId + ".ndjson";
    }

    public static String model(String projectId, String modelId) {
        return MODELS + projectId + "/" + modelId + ".onnx";
    }

    /** The prefix of an execution's file list (its chunks and index). */
    public static String executionFiles(String projectId, String executionId) {
        return EXECUTIONS + projectId + "/" + executionId + "/files/";
    }

    /** The chunk of an execution's file list whose first file has the given index. */
    public static String executionFilesChunk(String projectId, String executionId, long first) {
        return executionFiles(projectId, executionId) + String.format("%012d", first) + ".json";
    }

    /** The index of an execution's file list. */
    public static String executionFilesIndex(String projectId, String executionId) {
        return executionFiles(projectId, executionId) + "index.json";
    }

    /** The prefix of one job's results: {@code results/{projectId}/{jobId}/}. */
    public static String results(String projectId, String jobId) {
        return RESULTS + projectId + "/" + jobId + "/";
    }

    /**
     * Which lines of the job it retries a retry runs ({@code java.util.BitSet#toByteArray} of the original's line
     * indexes): what maps the retry's lines back to its original's in a lineage. Under the retry's results, so a
     * delete of the retry removes it.
     */
    public static String retryLines(String projectId, String jobId) {
        return results(projectId, jobId) + "retry-lines.bin";
    }

    /** The prefix of one job's results parts. */
    public static String resultsParts(String projectId, String jobId) {
        return results(projectId, jobId) + "parts/";
    }

    /**
     * The results part of one job's batches in one invocation. The name is derived from the set of batches it holds
     * (the batch id alone for one batch; else the first id and 16 hex digits of the SHA-256 of all of them, sorted),
     * so a retried invocation with the same batches writes the same key.
     */
    public static String resultsPart(String projectId, String jobId, List<String> batchIds) {
        List<String> sorted = batchIds.stream().sorted().toList();
        String name = sorted.size() == 1 ? sorted.get(0)
                : sorted.get(0) + "-" + Ids.sha256Hex(String.join(",", sorted)).substring(0, 16);
        return resultsParts(projectId, jobId) + name + ".ndjson";
    }

    public static String manifest(String projectId, String jobId) {
        return results(projectId, jobId) + "manifest.json";
    }

    public static String errors(String projectId, String jobId) {
        return results(projectId, jobId) + "errors.ndjson";
    }

    /**
     * A batch's delivery payloads kept in the bucket (a claim check), named by their content (16 hex digits of the
     * SHA-256 of the stored JSON): a key is written once and never changes.
     */
    public static String deliveryPayloads(String projectId, String jobId, String batchId, String contentJson) {
        return results(projectId, jobId) + "deliveries/" + batchId + "-"
                + Ids.sha256Hex(contentJson).substring(0, 16) + ".json";
    }

    /** The prefix of one webhook's delivery attempts: {@code deliveries/{projectId}/{webhookId}/}. */
    public static String webhookDeliveries(String projectId, String webhookId) {
        return DELIVERIES + projectId + "/" + webhookId + "/";
    }
}
