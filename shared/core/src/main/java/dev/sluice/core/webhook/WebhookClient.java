package dev.sluice.core.webhook;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * POSTs one webhook payload. Redirects are never followed: a 3xx is a failed delivery. The timeout bounds the whole
 * POST — connect, sending, the answer's headers and its body — however slowly the receiver sends; past it the
 * exchange is cancelled, which closes the connection.
 */
public class WebhookClient { // not final: unit tests of delivery give it a fake subclass
    /** status is 0 when no HTTP answer came; retryAfterMs is the server's Retry-After, if any. */
    public record Response(int status, String error, Long retryAfterMs) {
        static final int REFUSED = -1;
        static final int DEFERRED = -2;

        /** Not sent: the endpoint already had as many POSTs in flight as it may; try again shortly. */
        public static Response deferred() {
            return new Response(DEFERRED, "deferred: the endpoint is busy", null);
        }

        public boolean isDeferred() {
            return status == DEFERRED;
        }

        public boolean success() {
            return status >= 200 && status < 300;
        }

        /** 5xx, 408, 429, timeouts and connection failures are worth another attempt; a refused endpoint is not. */
        public boolean retriable() {
            return status == 0 || status >= 500 || status == 408 || status == 429;
        }

        /** The guard refused the endpoint (status -1): nothing was sent. */
        public boolean refused() {
            return status == REFUSED;
        }

        public String describe() {
            return status <= 0 ? error : "HTTP " + status;
        }
    }

    private final dev.sluice.core.net.FreshConnections http;
    private final dev.sluice.core.net.OutboundGuard guard;

    public WebhookClient(Duration connectTimeout, dev.sluice.core.net.OutboundGuard guard) {
        this.guard = guard;
        this.http = new dev.sluice.core.net.FreshConnections(() -> HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build());
    }

    public dev.sluice.core.net.OutboundGuard guard() {
        return guard;
    }

    /** @param timeout the whole POST, connect to the last byte of the answer (the webhook's timeoutMs) */
    public Response post(String given, Map<String, String> headers, String body, Duration timeout) {
        String endpoint = dev.sluice.core.net.OutboundGuard.normalise(given); // endpoints stored before normalising
        dev.sluice.core.net.OutboundGuard.Refusal refusal = guard.check(endpoint);
        if (refusal != null) {
            return new Response(Response.REFUSED, refusal.code() + ": " + refusal.reason(), null);
        }
        long endNanos = System.nanoTime() + timeout.toNanos();
        HttpClient client = http.client();
        Response response = post(client, endpoint, headers, body, timeout, endNanos);
        if (response == null) {
            http.renew(client); // a pooled connection the receiver had closed, the POST unread: once more on a new one
            response = post(http.client(), endpoint, headers, body, timeout, endNanos);
        }
        return response != null ? response
                : new Response(0, "connection failed: the receiver closed the connection without an answer", null);
    }

    /** Null when the POST met a pooled connection the receiver had closed before a byte of answer. */
    private Response post(HttpClient client, String endpoint, Map<String, String> headers, String body,
                          Duration timeout, long endNanos) {
        // The request timeout covers only the answer's headers; the body has no deadline in HttpClient. So the whole
        // exchange is awaited at most until the deadline and cancelled then (cancelling closes its connection).
        java.util.concurrent.CompletableFuture<HttpResponse<Void>> exchange;
        try {
            HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(endpoint)).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(builder::header);
            exchange = client.sendAsync(builder.build(), HttpResponse.BodyHandlers.discarding());
        } catch (RuntimeException e) {
            return requestRefused(e);
        }
        try {
            HttpResponse<Void> response = exchange.get(Math.max(0, endNanos - System.nanoTime()),
                    java.util.concurrent.TimeUnit.NANOSECONDS);
            Optional<String> retryAfter = response.headers().firstValue("Retry-After");
            return new Response(response.statusCode(), null, retryAfter.map(WebhookClient::retryAfterMs).orElse(null));
        } catch (java.util.concurrent.TimeoutException e) {
            exchange.cancel(true);
            return new Response(0, "timeout: no whole answer within " + timeout.toMillis() + " ms", null);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpTimeoutException) {
                return new Response(0, "timeout: no answer within " + timeout.toMillis() + " ms", null);
            }
            if (cause instanceof RuntimeException runtime) {
                return requestRefused(runtime);
            }
            if (dev.sluice.core.net.FreshConnections.staleConnection(cause)) {
                return null;
            }
            return new Response(0, "connection failed: " + cause.getClass().getSimpleName()
                    + (cause.getMessage() == null ? "" : " " + cause.getMessage()), null);
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            return new Response(0, "interrupted", null);
        }
    }

    /**
     * The HTTP or TLS stack refused to make the request (an SNI name it rejects, a header it restricts, …): a failed
     * delivery with the reason, never an exception for the caller (an API 500).
     */
    private static Response requestRefused(RuntimeException e) {
        return new Response(Response.REFUSED, "deliver.request_refused: the request could not be made: "
                + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()), null);
    }

    private static Long retryAfterMs(String value) {
        try {
            return Math.max(0, Long.parseLong(value.trim())) * 1000;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
