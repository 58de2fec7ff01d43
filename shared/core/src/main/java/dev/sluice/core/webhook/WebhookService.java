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
    private final WebhookClient client;

    /** @param allowLoopback local mode only: accept {@code http://127.0.0.1} and {@code localhost} endpoints. */
    public WebhookService(Catalog catalog, Clock clock, boolean allowLoopback,
                          WebhookClient client) {
        this.client = client;
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
        String endpoint = checkEndpoint(request.spec().endpoint());
        Webhook.Retries retries = request.spec().retries() == null ? Webhook.Retries.defaults()
                : request.spec().retries();
        checkRetries(retries);
        checkTimeout(request.spec().timeoutMs());
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.WEBHOOK, now);
        Webhook webhook = new Webhook(id, Webhook.OBJECT, request.name(), projectId,
                new Webhook.Spec(endpoint, retries, request.spec().timeoutMs()),
                WebhookSignature.newSecret(), now, now);
        catalog.put(projectId, id, webhook);
        return webhook;
    }

    public Webhook get(String projectId, String id) {
        return getWithSecret(projectId, id).withoutSecret();
    }

    /** For the delivery function: the webhook with its secret, or null when it was deleted. */
    public Webhook find(String projectId, String id) {
        return catalog.get(projectId, Webhook.KIND, id).orElse(null);
    }

    /** For the delivery function only: the webhook with its signing secret. */
    public Webhook getWithSecret(String projectId, String id) {
        return catalog.get(projectId, Webhook.KIND, id).orElseThrow(() -> Webhook.KIND.notFound(id));
    }

    public record UpdateRequest(String name, Webhook.Spec spec) {
    }

    private static void checkTimeout(Long timeoutMs) {
        Validation.check(timeoutMs == null || (timeoutMs >= 100 && timeoutMs <= Webhook.Spec.MAX_TIMEOUT_MS),
                "webhook.bad_timeout", "spec.timeoutMs must be 100.." + Webhook.Spec.MAX_TIMEOUT_MS);
    }

    /**
     * Changes the name, the endpoint, the retries and/or the timeout; what is not given stays. The secret does not
     * change: the write changes only the given fields of the record as stored, so a secret rotation racing it is kept
     * ({@link Catalog#update}).
     */
    public Webhook update(String projectId, String id, UpdateRequest request) {
        Validation.required(request, "webhook.body_required", "send a JSON body {name?, spec:{endpoint?, retries?}}");
        Webhook current = getWithSecret(projectId, id);
        String name = request.name() == null ? null : Validation.name(request.name(), "webhook");
        Webhook.Spec given = request.spec();
        String endpoint = checkEndpoint(given == null || given.endpoint() == null
                ? current.spec().endpoint() : given.endpoint());
        boolean newEndpoint = given != null && given.endpoint() != null;
        Webhook.Retries retries = given == null ? null : given.retries();
        if (retries != null) {
            checkRetries(retries);
        }
        Long timeoutMs = given == null ? null : given.timeoutMs();
        checkTimeout(timeoutMs);
        return catalog.update(projectId, Webhook.KIND, id, stored -> new Webhook(id, Webhook.OBJECT,
                        name != null ? name : stored.name(), projectId,
                        new Webhook.Spec(newEndpoint ? endpoint : stored.spec().endpoint(),
                                retries != null ? retries : stored.retries(),
                                timeoutMs != null ? timeoutMs : stored.spec().timeoutMs()),
                        stored.secret(), stored.createTime(), clock.nowMillis()))
                .orElseThrow(() -> Webhook.KIND.notFound(id)).withoutSecret();
    }

    /**
     * A new secret, returned this once; deliveries sign with it from now on. Only the secret changes in the record as
     * stored: an update racing the rotation keeps it ({@link Catalog#update}).
     */
    public Webhook rotateSecret(String projectId, String id) {
        String secret = WebhookSignature.newSecret();
        return catalog.update(projectId, Webhook.KIND, id, stored -> new Webhook(id, Webhook.OBJECT, stored.name(),
                        projectId, stored.spec(), secret, stored.createTime(), clock.nowMillis()))
                .orElseThrow(() -> Webhook.KIND.notFound(id));
    }

    /**
     * Deletes the project's webhook, unless a job that has not ended delivers to it (409 {@code webhook.in_use} naming
     * the job: its deliveries would fail {@code webhook.not_found}).
     */
    public void delete(String projectId, String id, dev.sluice.core.InUse users) {
        getWithSecret(projectId, id);
        users.refuse(projectId, id, "webhook");
        catalog.delete(projectId, id);
    }

    public record TestResult(String status, int responseCode, long latencyMs, int attemptCount, String reason) {
    }

    /**
     * Sends a signed {@code webhook.test} payload now and says how it went. Retriable answers are retried (at most
     * twice, 250 and 500 ms apart: this is an interactive call).
     */
    public TestResult test(String projectId, String id) {
        Webhook webhook = getWithSecret(projectId, id);
        String requestId = java.util.UUID.randomUUID().toString();
        String body = dev.sluice.core.Json.write(java.util.Map.of("type", "webhook.test", "webhookId", id,
                "projectId", projectId, "time", clock.nowMillis()));
        int attempts = 0;
        long start = System.nanoTime();
        WebhookClient.Response r;
        while (true) {
            attempts++;
            String time = Long.toString(clock.nowMillis());
            r = client.post(webhook.spec().endpoint(),
                    WebhookSignature.headers(webhook.secret(), requestId, time, body), body, webhook.spec().effectiveTimeout());
            if (r.success() || !r.retriable() || attempts == 3) {
                break;
            }
            try {
                Thread.sleep(250L * attempts);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long latency = (System.nanoTime() - start) / 1_000_000;
        return r.success() ? new TestResult("Delivered", r.status(), latency, attempts, null)
                : new TestResult("Failed", r.status(), latency, attempts, "the endpoint answered " + r.describe()
                + (r.status() >= 300 && r.status() < 400 ? " (redirects are not followed)" : ""));
    }

    public Page<Webhook> list(String projectId, PageRequest page) {
        Page<Webhook> stored = catalog.list(projectId, Webhook.KIND, page);
        return new Page<>(stored.data().stream().map(Webhook::withoutSecret).toList(), stored.nextPage(),
                stored.prevPage());
    }

    private static void checkRetries(Webhook.Retries retries) {
        Validation.check(retries.maxRetries() >= 0
                        && retries.maxRetries() <= Webhook.Retries.MAX_MAX_RETRIES, "webhook.bad_retries",
                "retries.maxRetries must be 0.." + Webhook.Retries.MAX_MAX_RETRIES);
        Validation.check(retries.maxBackoffMs() >= 1000 && retries.maxBackoffMs() <= 3_600_000,
                "webhook.bad_retries", "retries.maxBackoffMs must be 1000..3600000");
    }

    /** The endpoint as it is stored (a trailing dot of the host removed), or a 400 saying what is wrong. */
    private String checkEndpoint(String given) {
        Validation.required(given, "webhook.endpoint_required", "spec.endpoint must be an https:// URL");
        Validation.check(given.length() <= Validation.MAX_URL_LENGTH, "webhook.endpoint_too_long",
                "spec.endpoint must be at most " + Validation.MAX_URL_LENGTH + " characters");
        String problem = Validation.textProblem(given);
        Validation.check(problem == null, "webhook.bad_endpoint", "spec.endpoint " + problem);
        String endpoint = dev.sluice.core.net.OutboundGuard.normalise(given);
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
            dev.sluice.core.net.OutboundGuard.Refusal refusal = client.guard().check(endpoint);
            if (refusal != null) {
                throw SluiceException.invalid("webhook.endpoint_refused", "spec.endpoint is refused: " + refusal.reason());
            }
            return endpoint;
        }
        if (allowLoopback && loopback && ("http".equalsIgnoreCase(uri.getScheme())
                || "https".equalsIgnoreCase(uri.getScheme()))) {
            return endpoint;
        }
        throw SluiceException.invalid("webhook.bad_endpoint",
                "spec.endpoint must be an https:// URL of a public host (loopback only in local mode)");
    }
}
