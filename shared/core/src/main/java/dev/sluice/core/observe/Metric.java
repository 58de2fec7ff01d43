package dev.sluice.core.observe;

/**
 * The metrics Sluice emits (CloudWatch namespace {@code Sluice}, as Embedded Metric Format lines) with their units
 * (CloudWatch's unit names). Their dimensions are {@link MetricDimension}s: bounded sets, never a job or project id.
 */
public enum Metric {
    /** Items counted by a stage's commit, per {@link MetricDimension#STAGE} and {@link MetricDimension#OUTCOME}
     *  (the job counter the commit added to: gathered, predicted, delivered, failedGather, ...). Exactly once per
     *  applied commit, so their sum over a job's commits is the job's counters. */
    ITEMS("Items", "Count"),
    /** Milliseconds from the start of an inference call to the commit of its batches. */
    BATCH_LATENCY("BatchLatency", "Milliseconds"),
    /** Milliseconds an item's task took, per {@link MetricDimension#TASK} (gather, decode, predict): the mean over a
     *  batch's items. */
    TASK_TIME("TaskTime", "Milliseconds"),
    /** Webhook answers, per {@link MetricDimension#ANSWER_CLASS} (2xx, 3xx, 4xx, 5xx, network, refused). */
    WEBHOOK_ANSWERS("WebhookAnswers", "Count"),
    /** Messages accounted from a dead-letter queue, per {@link MetricDimension#STAGE}. */
    DEAD_LETTERS("DeadLetters", "Count");

    private final String metricName;
    private final String unit;

    Metric(String metricName, String unit) {
        this.metricName = metricName;
        this.unit = unit;
    }

    /** The CloudWatch metric name. */
    public String metricName() {
        return metricName;
    }

    /** The CloudWatch unit. */
    public String unit() {
        return unit;
    }
}
