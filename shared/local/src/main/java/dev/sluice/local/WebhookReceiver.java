package dev.sluice.local;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.webhook.WebhookSignature;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A webhook endpoint on loopback that checks every POST's signature the way the reference receiver's
 * verify_signature does, and records what it got. A responder can script answers (500 first, then 200…).
 */
public final class WebhookReceiver implements AutoCloseable {
    /** A responder's answer for a receiver that never answers: the request hangs until the receiver closes. */
    public static final int HANG = -1;
    /** A responder's answer that drops the connection without any HTTP answer. */
    public static final int DROP = -2;

    /** receivedAt: when the POST arrived (epoch ms); answeredWith: the status sent, or HANG / DROP. */
    public record Received(String requestId, String requestTime, String body, boolean verified, int answeredWith,
                           long receivedAt) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile String secret;
    private volatile Function<Received, Integer> responder = r -> r.verified() ? 204 : 401;
    private volatile long holdMillis;
    private volatile int retryAfterSeconds = -1;
    private volatile boolean dripBody;
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger maxInFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

    public WebhookReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                var h = exchange.getRequestHeaders();
                String id = h.getFirst(WebhookSignature.REQUEST_ID_HEADER);
                String time = h.getFirst(WebhookSignature.REQUEST_TIME_HEADER);
                String signature = h.getFirst(WebhookSignature.SIGNATURE_HEADER);
                String key = secret;
                boolean verified = key != null && WebhookSignature.verify(key, signature, id, time, body);
                long at = System.currentTimeMillis();
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                boolean counted = true;
                try {
                    int status = responder.apply(new Received(id, time, body, verified, 0, at));
                    received.add(new Received(id, time, body, verified, status, at));
                    if (status == HANG) {
                        closed.await();
                        return;
                    }
                    if (status == DROP) {
                        throw new IOException("dropping the connection without an answer");
                    }
                    if (holdMillis > 0) {
                        Thread.sleep(holdMillis);
                    }
                    if (status == 429 && retryAfterSeconds >= 0) {
                        exchange.getResponseHeaders().add("Retry-After", Integer.toString(retryAfterSeconds));
                    }
                    if (status >= 300 && status < 400) {
                        exchange.getResponseHeaders().add("Location", "https://example.com/elsewhere");
                    }
                    // no longer in flight once the answer goes out: the sender may start its next POST at once
                    inFlight.decrementAndGet();
                    counted = false;
                    if (dripBody) {
                        // the status and headers at once, then a 100,000-byte body a byte a second
                        exchange.sendResponseHeaders(status, 100_000);
                        var out = exchange.getResponseBody();
                        for (int i = 0; i < 100_000 && !closed.await(1, java.util.concurrent.TimeUnit.SECONDS); i++) {
                            out.write('x');
                            out.flush();
                        }
                        return;
                    }
                    exchange.sendResponseHeaders(status, -1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    if (counted) {
                        inFlight.decrementAndGet();
                    }
                }
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public void secret(String value) {
        this.secret = value;
    }

    public void respond(Function<Received, Integer> value) {
        this.responder = value;
    }

    /** Every request is held this long before its answer: a slow receiver. */
    public void hold(long millis) {
        this.holdMillis = millis;
    }

    /** Every answer sends its status and headers at once and then its body a byte a second: a slow-body receiver. */
    public void dripBody(boolean value) {
        this.dripBody = value;
    }

    /** The Retry-After (seconds) sent with every 429. */
    public void retryAfter(int seconds) {
        this.retryAfterSeconds = seconds;
    }

    /** The most requests this receiver had in hand at once. */
    public int maxInFlight() {
        return maxInFlight.get();
    }

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
