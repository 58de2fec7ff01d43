package dev.sluice.core.observe;

import java.util.Map;

/**
 * Where the domain reports its metrics. The AWS adapter writes CloudWatch Embedded Metric Format lines (no API call);
 * {@link #NONE} drops them. Dimension values come from small fixed sets ({@link MetricDimension}), never ids.
 */
@FunctionalInterface
public interface Metrics {
    /** Drops every value. */
    Metrics NONE = (dimensions, values) -> {
    };

    /** Emits values sharing these dimensions (besides the emitter's {@link MetricDimension#FUNCTION}). */
    void emit(Map<MetricDimension, String> dimensions, Map<Metric, Double> values);

    /** One value under these dimensions. */
    default void emit(Map<MetricDimension, String> dimensions, Metric metric, double value) {
        emit(dimensions, Map.of(metric, value));
    }
}
