package dev.sluice.aws.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.observe.Metric;
import dev.sluice.core.observe.MetricDimension;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Checks the documents against the required fields of the EMF specification
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a root {@code _aws} with {@code Timestamp} (epoch milliseconds) and {@code CloudWatchMetrics} (MetricDirective
 * objects with {@code Namespace}, {@code Dimensions}: arrays of at most 30 dimension names, {@code Metrics}: at most 100
 * MetricDefinition objects with {@code Name} and an optional {@code Unit} from CloudWatch's units); every dimension
 * and metric name it references is a root member, dimensions strings, metrics numbers.
 */
class EmfMetricsTest {
    static final Set<String> UNITS = Set.of("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes",
            "Gigabytes", "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
            "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
            "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None");

    /** Fails unless the document meets the specification's required fields; returns it parsed. */
    static JsonNode checkEmf(String line) throws Exception {
        assertTrue(!line.contains("\n"), "one line");
        JsonNode doc = new ObjectMapper().readTree(line);
        JsonNode aws = doc.get("_aws");
        assertTrue(aws != null && aws.isObject(), "_aws");
        assertTrue(aws.get("Timestamp").isIntegralNumber() && aws.get("Timestamp").asLong() > 1_600_000_000_000L, "Timestamp in ms");
        JsonNode directives = aws.get("CloudWatchMetrics");
        assertTrue(directives.isArray() && !directives.isEmpty(), "CloudWatchMetrics");
        for (JsonNode d : directives) {
            String ns = d.get("Namespace").asText();
            assertTrue(!ns.isEmpty() && ns.length() <= 255, "Namespace");
            for (JsonNode set : d.get("Dimensions")) {
                assertTrue(set.isArray() && set.size() <= 30, "a DimensionSet of at most 30");
                for (JsonNode name : set) {
                    assertTrue(doc.path(name.asText()).isTextual(), "dimension " + name + " is a root string member");
                }
            }
            JsonNode metrics = d.get("Metrics");
            assertTrue(metrics.isArray() && !metrics.isEmpty() && metrics.size() <= 100, "Metrics");
            for (JsonNode m : metrics) {
                String name = m.get("Name").asText();
                assertTrue(!name.isEmpty() && name.length() <= 1024, "Name");
                assertTrue(doc.path(name).isNumber(), "metric " + name + " is a root number member");
                assertTrue(!m.has("Unit") || UNITS.contains(m.get("Unit").asText()), "Unit " + m.get("Unit"));
            }
        }
        return doc;
    }

    @Test
    void documents_meetTheSpecificationsRequiredFields_withTheFunctionAndTheGivenDimensions() throws Exception {
        List<String> lines = new ArrayList<>();
        EmfMetrics metrics = new EmfMetrics("inference", lines::add, () -> 1_765_000_000_000L);
        Map<Metric, Double> values = new LinkedHashMap<>();
        values.put(Metric.ITEMS, 7.0);
        metrics.emit(Map.of(MetricDimension.STAGE, "inference", MetricDimension.OUTCOME, "predicted"), values);
        metrics.emit(Map.of(MetricDimension.ANSWER_CLASS, "5xx"), Metric.WEBHOOK_ANSWERS, 1);
        metrics.emit(Map.of(), Map.of());
        assertEquals(2, lines.size(), "nothing is written for no values");
        JsonNode items = checkEmf(lines.get(0));
        assertEquals(1_765_000_000_000L, items.at("/_aws/Timestamp").asLong());
        assertEquals("Sluice", items.at("/_aws/CloudWatchMetrics/0/Namespace").asText());
        assertEquals(List.of("Function", "Stage", "Outcome"), names(items.at("/_aws/CloudWatchMetrics/0/Dimensions/0")));
        assertEquals("inference", items.get("Function").asText());
        assertEquals("predicted", items.get("Outcome").asText());
        assertEquals(7.0, items.get("Items").asDouble());
        assertEquals("Count", items.at("/_aws/CloudWatchMetrics/0/Metrics/0/Unit").asText());
        JsonNode answers = checkEmf(lines.get(1));
        assertEquals(List.of("Function", "AnswerClass"), names(answers.at("/_aws/CloudWatchMetrics/0/Dimensions/0")));
    }

    @Test
    void everyMetricHasACloudWatchUnit_andDistinctNames() {
        Set<String> names = new HashSet<>();
        for (Metric m : Metric.values()) {
            assertTrue(UNITS.contains(m.unit()), m + ": " + m.unit());
            assertTrue(names.add(m.metricName()), m.metricName());
        }
    }

    @Test
    void webhookAnswers_areClassedByStatus_notCountedWhenDeferred() {
        assertEquals("2xx", MeteredWebhookClient.answerClass(new dev.sluice.core.webhook.WebhookClient.Response(204, null, null)));
        assertEquals("4xx", MeteredWebhookClient.answerClass(new dev.sluice.core.webhook.WebhookClient.Response(429, null, null)));
        assertEquals("5xx", MeteredWebhookClient.answerClass(new dev.sluice.core.webhook.WebhookClient.Response(503, null, null)));
        assertEquals("network", MeteredWebhookClient.answerClass(new dev.sluice.core.webhook.WebhookClient.Response(0, "timeout", null)));
        assertEquals("refused", MeteredWebhookClient.answerClass(new dev.sluice.core.webhook.WebhookClient.Response(-1, "no", null)));
        assertEquals(null, MeteredWebhookClient.answerClass(dev.sluice.core.webhook.WebhookClient.Response.deferred()));
    }

    static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
