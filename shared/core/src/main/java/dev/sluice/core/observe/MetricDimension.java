package dev.sluice.core.observe;

/**
 * The dimensions of Sluice's metrics. Each takes values from a small fixed set (a function name, a pipeline stage,
 * a counter name, an answer class): CloudWatch bills every distinct combination as a metric, so a job or project id
 * is never a dimension.
 */
public enum MetricDimension {
    /** The function or process that emitted (api, fanout, inference, delivery, scheduler, gpu-worker, local). */
    FUNCTION("Function"),
    /** A pipeline stage (fanout, inference, delivery). */
    STAGE("Stage"),
    /** A job counter (gathered, predicted, delivered, failedGather, failedProcess, failedPredict, failedDeliver, skipped). */
    OUTCOME("Outcome"),
    /** An item's task (gather, decode, predict). */
    TASK("Task"),
    /** A webhook answer's class (2xx, 3xx, 4xx, 5xx, network, refused). */
    ANSWER_CLASS("AnswerClass");

    private final String dimensionName;

    MetricDimension(String dimensionName) {
        this.dimensionName = dimensionName;
    }

    /** The CloudWatch dimension name. */
    public String dimensionName() {
        return dimensionName;
    }
}
