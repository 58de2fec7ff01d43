package dev.sluice.aws.observe;

import dev.sluice.core.net.OutboundGuard;
import dev.sluice.core.observe.Metric;
import dev.sluice.core.observe.MetricDimension;
import dev.sluice.core.observe.Metrics;
import dev.sluice.core.webhook.WebhookClient;

import java.time.Duration;
import java.util.Map;

/**
 * The webhook client, counting its answers: {@link Metric#WEBHOOK_ANSWERS} per {@link MetricDimension#ANSWER_CLASS}
 * ({@link #answerClass}). A POST not sent because its endpoint was busy (deferred) is not an answer.
 */
public final class MeteredWebhookClient extends WebhookClient {
    private final Metrics metrics;

    public MeteredWebhookClient(Duration connectTimeout, OutboundGuard guard, Metrics metrics) {
        super(connectTimeout, guard);
        this.metrics = metrics;
    }

    @Override
    public Response post(String given, Map<String, String> headers, String body, Duration timeout) {
        Response response = super.post(given, headers, body, timeout);
        String answer = answerClass(response);
        if (answer != null) {
            metrics.emit(Map.of(MetricDimension.ANSWER_CLASS, answer), Metric.WEBHOOK_ANSWERS, 1);
        }
        if (!response.isDeferred() && !response.refused()) {
            // a POST that went out (answered or not) is one of the job's webhook POSTs (status.usage)
            dev.sluice.core.usage.UsageMeter.process().record(dev.sluice.core.usage.Usage.webhookPost());
        }
        return response;
    }

    /**
     * 2xx, 3xx, 4xx or 5xx by the HTTP status; {@code network} when no answer came (timeout, connection failure);
     * {@code refused} when the outbound guard refused the endpoint; null for a deferred POST.
     */
    static String answerClass(Response r) {
        if (r.isDeferred()) {
            return null;
        }
        if (r.refused()) {
            return "refused";
        }
        if (r.status() <= 0) {
            return "network";
        }
        return (r.status() / 100) + "xx";
    }
}
