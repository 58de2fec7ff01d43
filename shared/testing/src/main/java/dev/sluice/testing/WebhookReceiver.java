package dev.sluice.testing;

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
    public record Received(String requestId, String requestTime, String body, boolean verified, int answeredWith) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private volatile String secret;
    private volatile Function<Received, Integer> responder = r -> r.verified() ? 204 : 401;

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
                Received r = new Received(id, time, body, verified, 0);
                int status = responder.apply(r);
                received.add(new Received(id, time, body, verified, status));
                exchange.sendResponseHeaders(status, -1);
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

    public List<Received> received() {
        return new ArrayList<>(received);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
