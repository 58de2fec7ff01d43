package dev.sluice.aws.observe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.sluice.core.observe.Metric;
import dev.sluice.core.observe.MetricDimension;
import dev.sluice.core.observe.Metrics;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Metrics as CloudWatch Embedded Metric Format documents, one JSON object per line: Lambda's log agent turns each into
 * metric values without an API call
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * A document: {@code {"_aws": {"Timestamp": <epoch ms>, "CloudWatchMetrics": [{"Namespace": "Sluice",
 * "Dimensions": [["Function", ...]], "Metrics": [{"Name": ..., "Unit": ...}]}]}, "Function": ..., <dimension
 * values>, <metric values>}}. Every dimension is {@link MetricDimension#FUNCTION} plus the emit's own, all from small
 * fixed sets (never ids). No served library (Powertools metrics, aws-embedded-metrics) is on this build's mirror, so
 * the format is written here; EmfMetricsTest checks it against the specification's required fields.
 */
public final class EmfMetrics implements Metrics {
    /** The CloudWatch namespace of every Sluice metric. */
    public static final String NAMESPACE = "Sluice";
    private static final JsonFactory JSON = new JsonFactory();
    private final String function;
    private final Consumer<String> lines;
    private final LongSupplier clock;

    /**
     * @param function the {@code Function} dimension of every value (api, fanout, inference, delivery, scheduler,
     *                 gpu-worker, local)
     * @param lines    where each document goes, as one line without its newline (standard output on Lambda)
     */
    public EmfMetrics(String function, Consumer<String> lines, LongSupplier clock) {
        this.function = function;
        this.lines = lines;
        this.clock = clock;
    }

    /** Documents on standard output, as Lambda and the CloudWatch agent read them. */
    public static EmfMetrics toStandardOutput(String function) {
        return new EmfMetrics(function, line -> {
            synchronized (System.out) {
                System.out.println(line);
                System.out.flush();
            }
        }, System::currentTimeMillis);
    }

    @Override
    public void emit(Map<MetricDimension, String> dimensions, Map<Metric, Double> values) {
        if (values.isEmpty()) {
            return;
        }
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            List<MetricDimension> dims = new ArrayList<>();
            dims.add(MetricDimension.FUNCTION);
            dimensions.keySet().stream().filter(d -> d != MetricDimension.FUNCTION).sorted().forEach(dims::add);
            g.writeStartObject();
            g.writeObjectFieldStart("_aws");
            g.writeNumberField("Timestamp", clock.getAsLong());
            g.writeArrayFieldStart("CloudWatchMetrics");
            g.writeStartObject();
            g.writeStringField("Namespace", NAMESPACE);
            g.writeArrayFieldStart("Dimensions");
            g.writeStartArray();
            for (MetricDimension d : dims) {
                g.writeString(d.dimensionName());
            }
            g.writeEndArray();
            g.writeEndArray();
            g.writeArrayFieldStart("Metrics");
            for (Metric m : values.keySet().stream().sorted().toList()) {
                g.writeStartObject();
                g.writeStringField("Name", m.metricName());
                g.writeStringField("Unit", m.unit());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeEndArray();
            g.writeEndObject();
            g.writeStringField(MetricDimension.FUNCTION.dimensionName(), function);
            for (MetricDimension d : dims.subList(1, dims.size())) {
                g.writeStringField(d.dimensionName(), dimensions.get(d));
            }
            for (Metric m : values.keySet().stream().sorted().toList()) {
                g.writeNumberField(m.metricName(), values.get(m));
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lines.accept(out.toString());
    }
}
