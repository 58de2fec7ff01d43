package dev.sluice.core.observe;

/**
 * The fixed keys of Sluice's log lines besides {@code time}, {@code level}, {@code service} and {@code message}: the
 * ids a line is about, set per message in the MDC ({@link LogScope}) and cleared after it. The names follow AWS
 * Powertools for Lambda's logging keys ({@code function_request_id}, {@code cold_start}), so a CloudWatch Logs
 * Insights query written for Powertools works on Sluice's lines
 * (https://docs.powertools.aws.dev/lambda/java/latest/core/logging/#standard-structured-keys).
 */
public enum LogKey {
    /** The Lambda invocation's AWS request id. */
    FUNCTION_REQUEST_ID("function_request_id"),
    /** true on the first invocation of a container (a JSON boolean in the line). */
    COLD_START("cold_start"),
    PROJECT_ID("project_id"),
    JOB_ID("job_id"),
    EXECUTION_ID("execution_id"),
    BATCH_ID("batch_id"),
    /** The item's line index in its dataset (a JSON number in the line). */
    ITEM_INDEX("item_index"),
    /** The API request's id (the X-Request-Id the API answered with). */
    REQUEST_ID("request_id"),
    /**
     * The function a line comes from where one process runs several ({@code sluice local}: api, fanout, inference,
     * delivery, scheduler, gpu-worker): written as the line's {@code service} in place of the process's own name.
     */
    SERVICE("service");

    private final String key;

    LogKey(String key) {
        this.key = key;
    }

    /** The key as it appears in the MDC and in the JSON line. */
    public String key() {
        return key;
    }
}
