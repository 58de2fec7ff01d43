package dev.sluice.core.webhook;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.port.Catalog;

import java.net.URI;
import java.net.URISyntaxException;

/** Webhooks: HTTPS endpoints with a generated secret that is shown once. */
public final class WebhookService {
    private final Catalog catalog;
    private final Clock clock;
    private final boolean allowLoopback;

    /** @param allowLoopback local mode only: accept {@code http://127.0.0.1} and {@code localhost} endpoints. */
    public WebhookService(Catalog catalog, Clock clock, boolean allowLoopback) {
        this.catalog = catalog;
        this.clock = clock;
        this.allowLoopback = allowLoopback;
    }

    public record CreateRequest(String name, Webhook.Spec spec) {
    }

    /** The created webhook, with its secret: the only response that carries it. */
    public Webhook create(String projectId, CreateRequest request) {
        Validation.required(request, "webhook.body_required", "send a JSON body {name, spec:{endpoint, retries}}");
        Validation.name(request.name(), "webhook");
        Validation.required(request.spec(), "webhook.spec_required", "webhook needs spec.endpoint");
        checkEndpoint(request.spec().endpoint());
        Webhook.Retries retries = request.spec().retries() == null ? new Webhook.Retries(null, null)
                : request.spec().retries();
        Validation.check(retries.effectiveMaxRetries() >= 0
                        && retries.effectiveMaxRetries() <= Webhook.Retries.MAX_MAX_RETRIES, "webhook.bad_retries",
                "retries.maxRetries must be 0.." + Webhook.Retries.MAX_MAX_RETRIES);
        Validation.check(retries.effectiveMaxBackoffMs() >= 1000 && retries.effectiveMaxBackoffMs() <= 3_600_000,
                "webhook.bad_retries", "retries.maxBackoffMs must be 1000..3600000");
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.WEBHOOK, now);
        Webhook webhook = new Webhook(id, Webhook.OBJECT, request.name(), projectId,
                new Webhook.Spec(request.spec().endpoint(), retries), WebhookSignature.newSecret(), now, now);
        catalog.put(projectId, id, webhook);
        return webhook;
    }

    public Webhook get(String projectId, String id) {
        return getWithSecret(projectId, id).withoutSecret();
    }

    /** For the delivery function only: the webhook with its signing secret. */
    public Webhook getWithSecret(String projectId, String id) {
        return catalog.get(projectId, id, Webhook.class).orElseThrow(() -> SluiceException.notFound("webhook", id));
    }

    public Page<Webhook> list(String projectId, PageRequest page) {
        Page<Webhook> stored = catalog.list(projectId, Ids.WEBHOOK + "_", Webhook.class, page);
        return new Page<>(stored.data().stream().map(Webhook::withoutSecret).toList(), stored.nextPage(),
                stored.prevPage());
    }

    private void checkEndpoint(String endpoint) {
        Validation.required(endpoint, "webhook.endpoint_required", "spec.endpoint must be an https:// URL");
        URI uri;
        try {
            uri = new URI(endpoint);
        } catch (URISyntaxException e) {
            throw SluiceException.invalid("webhook.bad_endpoint", "spec.endpoint is not a valid URL: " + e.getReason());
        }
        String host = uri.getHost();
        Validation.check(host != null, "webhook.bad_endpoint", "spec.endpoint needs a host");
        boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]");
        if ("https".equalsIgnoreCase(uri.getScheme()) && !loopback) {
            return;
        }
        if (allowLoopback && loopback && ("http".equalsIgnoreCase(uri.getScheme())
                || "https".equalsIgnoreCase(uri.getScheme()))) {
            return;
        }
        throw SluiceException.invalid("webhook.bad_endpoint",
                "spec.endpoint must be an https:// URL of a public host (loopback only in local mode)");
    }
}
