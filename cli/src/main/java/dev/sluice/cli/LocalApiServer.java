package dev.sluice.cli;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.function.api.ApiHandler;
import dev.sluice.local.LocalEventSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plays API Gateway's HTTP API locally: each request becomes a payload-v2 event for the api function's handler, and
 * its response goes back as HTTP. The handler cannot tell it from AWS.
 */
final class LocalApiServer implements AutoCloseable {
    private static final int MAX_BODY = 10 * 1024 * 1024;
    /** The longest path answered; a longer one is 414 {@code request.uri_too_long}, its text never echoed. */
    static final int MAX_PATH_CHARS = 2048;
    /** Worker threads: a request holds one from its headers to its answer (at most {@link #bodyDeadline} reading). */
    static final int THREADS = 32;
    /** The whole body of a request must arrive within this (a loopback upload of 10 MB takes milliseconds). */
    static final Duration BODY_DEADLINE = Duration.ofSeconds(15);
    private final HttpServer server;
    private final ApiHandler handler;
    private final Duration bodyDeadline;
    private final ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sluice-api-body-deadline");
        t.setDaemon(true);
        return t;
    });

    LocalApiServer(ApiHandler handler, int port) {
        this(handler, port, BODY_DEADLINE);
    }

    /**
     * The front door of {@code sluice local}, as strict about resources as API Gateway (issue 20 item 8): a body that
     * does not arrive whole within {@code bodyDeadline} has its connection closed (a slow sender cannot hold a worker
     * thread), a body over 10 MiB is 413 before it is read, a path over {@link #MAX_PATH_CHARS} is 414 without echo.
     */
    LocalApiServer(ApiHandler handler, int port, Duration bodyDeadline) {
        this.handler = handler;
        this.bodyDeadline = bodyDeadline;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 100);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port + " (is it in use? try --port)", e);
        }
        // threads named api-N: the benchmark tells the API's AWS requests (a client polling) from the pipeline's
            server.setExecutor(Executors.newFixedThreadPool(THREADS, Thread.ofPlatform().name("api-", 0).factory()));
        server.createContext("/", this::serve);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void serve(HttpExchange exchange) throws IOException {
        // before the body is read: closing the exchange then closes its connection, and a read blocked on it ends
        ScheduledFuture<?> deadline = watchdog.schedule(exchange::close, bodyDeadline.toMillis(), TimeUnit.MILLISECONDS);
        try (exchange; InputStream in = exchange.getRequestBody()) {
            String rawPath = exchange.getRequestURI().getRawPath();
            if (rawPath == null || rawPath.length() > MAX_PATH_CHARS) {
                refuse(exchange, 414, "request.uri_too_long", "the path is over " + MAX_PATH_CHARS + " characters");
                return;
            }
            long declared = exchange.getRequestHeaders().getFirst("Content-Length") == null ? -1
                    : parseLength(exchange.getRequestHeaders().getFirst("Content-Length"));
            if (declared > MAX_BODY) {
                refuse(exchange, 413, "request.too_large", "the body is over " + MAX_BODY + " bytes");
                return;
            }
            byte[] body = in.readNBytes(MAX_BODY + 1);
            if (!deadline.cancel(false)) {
                return; // the deadline closed the connection as the last bytes came: nobody to answer
            }
            APIGatewayV2HTTPEvent event = new APIGatewayV2HTTPEvent();
            event.setVersion("2.0");
            event.setRawPath(exchange.getRequestURI().getRawPath());
            event.setRawQueryString(exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery());
            event.setQueryStringParameters(query(exchange.getRequestURI().getRawQuery()));
            Map<String, String> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), String.join(",", v)));
            event.setHeaders(headers);
            // the bytes as they came, base64 (as API Gateway hands over binary bodies): the handler counts the bytes
            // and refuses what is not UTF-8, instead of this server replacing it silently
            event.setBody(body.length == 0 ? null : java.util.Base64.getEncoder().encodeToString(body));
            event.setIsBase64Encoded(true);
            APIGatewayV2HTTPEvent.RequestContext context = new APIGatewayV2HTTPEvent.RequestContext();
            APIGatewayV2HTTPEvent.RequestContext.Http http = new APIGatewayV2HTTPEvent.RequestContext.Http();
            http.setMethod(exchange.getRequestMethod());
            http.setPath(event.getRawPath());
            context.setHttp(http);
            event.setRequestContext(context);
            APIGatewayV2HTTPResponse response;
            try (var scope = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.SERVICE, "api")) {
                response = handler.handleRequest(event, new LocalEventSource.LocalContext(30_000));
            }
            byte[] out = response.getBody() == null ? new byte[0] : response.getBody().getBytes(StandardCharsets.UTF_8);
            if (response.getHeaders() != null) {
                response.getHeaders().forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            }
            exchange.sendResponseHeaders(response.getStatusCode(), out.length == 0 ? -1 : out.length);
            try (OutputStream os = exchange.getResponseBody()) {
                os.write(out);
            }
        }
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1; // the server itself refuses a Content-Length that is not a number
        }
    }

    /** An error answered here, before the api function: a fixed text, nothing of the request echoed. */
    private static void refuse(HttpExchange exchange, int status, String code, String message) throws IOException {
        byte[] out = ("{\"error\":{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("Connection", "close");
        exchange.sendResponseHeaders(status, out.length);
        try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> params = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.put(k, v);
        }
        return params;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        watchdog.shutdownNow();
    }
}
