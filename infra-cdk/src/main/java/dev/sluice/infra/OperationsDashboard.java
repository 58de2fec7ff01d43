package dev.sluice.infra;

import dev.sluice.aws.observe.EmfMetrics;
import dev.sluice.core.observe.Metric;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Dashboard;
import software.amazon.awscdk.services.cloudwatch.GraphWidget;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.IWidget;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The operators' CloudWatch dashboard and the alarms on what it shows. Widgets: items per stage and outcome, batch
 * latency, gather / decode / predict time, webhook answers by class, dead letters (Sluice's Embedded Metric Format
 * metrics, namespace {@value EmfMetrics#NAMESPACE}, written by the functions and the GPU worker), the oldest message
 * of each work queue, each DLQ's depth and the functions' errors. Alarms (to the {@link Observability} topic): the
 * inference error rate above {@value #ERROR_RATE_PERCENT} % of the items that reached the stage for
 * {@value #ERROR_RATE_PERIODS} periods of 5 minutes, and each work queue's oldest message older than
 * {@value #OLDEST_MESSAGE_SECONDS} s for 3 periods of 5 minutes (workers not keeping up: concurrency, a stuck pool).
 * The DLQ depth alarms are {@link Observability#alarmOnDeadLetters}'.
 */
final class OperationsDashboard extends Construct {
    static final double ERROR_RATE_PERCENT = 10;
    static final int ERROR_RATE_PERIODS = 3;
    static final int OLDEST_MESSAGE_SECONDS = 3_600;
    private static final Duration PERIOD = Duration.minutes(5);
    /** The Function dimension values of the processes that run the inference stage. */
    private static final List<String> INFERENCE_FUNCTIONS = List.of("inference", "gpu-worker");

    final Dashboard dashboard;

    OperationsDashboard(Construct scope, String id, WorkQueues queues, Functions functions, Observability alarms) {
        super(scope, id);
        Map<String, Queue> work = new LinkedHashMap<>();
        work.put("Fanout", queues.fanout);
        work.put("Inference", queues.inference);
        work.put("InferenceGpu", queues.inferenceGpu);
        work.put("Delivery", queues.delivery);

        alarms.alarm(this, "InferenceErrorRate", errorRate(), ERROR_RATE_PERCENT, ERROR_RATE_PERIODS,
                "more than " + (int) ERROR_RATE_PERCENT + " % of the items that reached inference failed (gather,"
                        + " decode or predict): read the jobs' errors and the inference function's logs");
        work.forEach((name, queue) -> alarms.alarm(this, name + "OldestMessage",
                queue.metricApproximateAgeOfOldestMessage(MetricOptions.builder().period(PERIOD).statistic("Maximum").build()),
                OLDEST_MESSAGE_SECONDS, 3, "the " + name + " queue's oldest message waited over "
                        + OLDEST_MESSAGE_SECONDS / 60 + " minutes: its consumers are not keeping up"));

        List<IWidget> row1 = List.of(
                graph("Items per stage and outcome", search(Metric.ITEMS, "Function,Stage,Outcome", "Sum")),
                graph("Batch latency (ms, p90)", search(Metric.BATCH_LATENCY, "Function,Stage", "p90")),
                graph("Gather / decode / predict time (ms, mean per item)", search(Metric.TASK_TIME, "Function,Stage,Task", "Average")));
        List<IWidget> row2 = List.of(
                graph("Webhook answers by class", search(Metric.WEBHOOK_ANSWERS, "Function,AnswerClass", "Sum")),
                graph("Dead letters", search(Metric.DEAD_LETTERS, "Function,Stage", "Sum")),
                graph("Inference error rate (%)", errorRate()));
        List<IMetric> ages = new ArrayList<>();
        work.forEach((name, queue) -> ages.add(queue.metricApproximateAgeOfOldestMessage(
                MetricOptions.builder().period(PERIOD).statistic("Maximum").label(name).build())));
        List<IMetric> depths = new ArrayList<>();
        queues.deadLetters.forEach((name, dlq) -> depths.add(dlq.metricApproximateNumberOfMessagesVisible(
                MetricOptions.builder().period(PERIOD).statistic("Maximum").label(name).build())));
        List<IMetric> errors = new ArrayList<>();
        functions.all().forEach(fn -> errors.add(fn.metricErrors(
                MetricOptions.builder().period(PERIOD).label(fn.getNode().getId()).build())));
        List<IWidget> row3 = List.of(
                GraphWidget.Builder.create().title("Oldest message (s)").left(ages).width(8).build(),
                GraphWidget.Builder.create().title("DLQ depth").left(depths).width(8).build(),
                GraphWidget.Builder.create().title("Function errors").left(errors).width(8).build());
        dashboard = Dashboard.Builder.create(this, "Dashboard").widgets(List.of(row1, row2, row3)).build();
    }

    private static GraphWidget graph(String title, IMetric metric) {
        return GraphWidget.Builder.create().title(title).left(List.of(metric)).width(8).build();
    }

    /** Every series of the metric under that dimension set (one per value combination: they are few by design). */
    private static MathExpression search(Metric metric, String dimensions, String statistic) {
        return MathExpression.Builder.create()
                .expression("SEARCH('{" + EmfMetrics.NAMESPACE + "," + dimensions + "} MetricName=\""
                        + metric.metricName() + "\"', '" + statistic + "', " + PERIOD.toSeconds() + ")")
                .usingMetrics(Map.of()).label("").period(PERIOD).build();
    }

    /**
     * 100 × (failedGather + failedProcess + failedPredict) / (gathered + failedGather): the items that reached the
     * inference stage on Lambda or the GPU pool and failed there, as a percentage.
     */
    static MathExpression errorRate() {
        Map<String, IMetric> used = new LinkedHashMap<>();
        List<String> failed = new ArrayList<>();
        List<String> reached = new ArrayList<>();
        int n = 0;
        for (String function : INFERENCE_FUNCTIONS) {
            for (String outcome : List.of("gathered", "failedGather", "failedProcess", "failedPredict")) {
                String key = "m" + n++;
                used.put(key, software.amazon.awscdk.services.cloudwatch.Metric.Builder.create()
                        .namespace(EmfMetrics.NAMESPACE).metricName(Metric.ITEMS.metricName())
                        .dimensionsMap(Map.of("Function", function, "Stage", "inference", "Outcome", outcome))
                        .statistic("Sum").period(PERIOD).build());
                if (!outcome.equals("gathered")) {
                    failed.add("FILL(" + key + ", 0)");
                }
                if (outcome.equals("gathered") || outcome.equals("failedGather")) {
                    reached.add("FILL(" + key + ", 0)");
                }
            }
        }
        return MathExpression.Builder.create()
                .expression("100 * (" + String.join(" + ", failed) + ") / (" + String.join(" + ", reached) + ")")
                .usingMetrics(used).label("inference error rate (%)").period(PERIOD).build();
    }
}
