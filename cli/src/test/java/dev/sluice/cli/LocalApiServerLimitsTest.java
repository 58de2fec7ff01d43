package dev.sluice.cli;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.sluice.function.api.ApiHandler;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20 item 8: `sluice local`'s front door is not held by slow request bodies, and refuses a huge path (414) or
 * body (413) before the api function sees it, echoing nothing of it.
 */
class LocalApiServerLimitsTest {
    /** Stands for the api function: answers 200 with the body's length, and counts its calls. */
    static final class CountingHandler extends ApiHandler {
        final AtomicInteger calls = new AtomicInteger();

        CountingHandler() {
            super(null);
        }

        @Override
        public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
            calls.incrementAndGet();
            APIGatewayV2HTTPResponse response = new APIGatewayV2HTTPResponse();
            response.setStatusCode(200);
            response.setBody(event.getBody() == null ? "0" : Integer.toString(event.getBody().length()));
            return response;
        }
    }

    static HttpResponse<String> get(String url) throws Exception {
        // a cap for a busy machine, not an expectation: without the body deadline this waits forever
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(2))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void slowBodies_areCutOffAtTheDeadline_andTheDoorStaysOpen() throws Exception {
        CountingHandler handler = new CountingHandler();
        try (LocalApiServer server = new LocalApiServer(handler, 0, Duration.ofSeconds(1))) {
            URI url = URI.create(server.url());
            List<Socket> slow = new ArrayList<>();
            try {
                // more slow senders than worker threads: each declares 1,000 bytes and sends one
                for (int i = 0; i < LocalApiServer.THREADS + 8; i++) {
                    Socket s = new Socket(url.getHost(), url.getPort());
                    OutputStream out = s.getOutputStream();
                    out.write(("POST /v1/projects/p/models HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
                            .getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    slow.add(s);
                }
                HttpResponse<String> answered = get(server.url() + "/v1/health");
                assertEquals(200, answered.statusCode(), "a request behind the slow senders is answered");
                for (Socket s : slow) {
                    s.setSoTimeout(120_000); // a cap: the server closes each at its deadline
                    InputStream in = s.getInputStream();
                    int first;
                    try {
                        first = in.read();
                    } catch (java.net.SocketException reset) {
                        first = -1;
                    }
                    assertEquals(-1, first, "the server closed the slow sender's connection without an answer");
                }
                assertEquals(1, handler.calls.get(), "no slow body reached the api function");
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aHugePath_is414_andNothingOfItIsEchoed() throws Exception {
        CountingHandler handler = new CountingHandler();
        try (LocalApiServer server = new LocalApiServer(handler, 0)) {
            String path = "/v1/" + "a".repeat(200_000);
            HttpResponse<String> response = get(server.url() + path);
            assertEquals(414, response.statusCode());
            assertTrue(response.body().contains("request.uri_too_long"), response.body());
            assertFalse(response.body().contains("aaaa"), "the path is not echoed");
            assertTrue(response.body().length() < 200, response.body());
            assertEquals(200, get(server.url() + "/v1/" + "a".repeat(LocalApiServer.MAX_PATH_CHARS - 4)).statusCode());
            assertEquals(1, handler.calls.get(), "the api function never saw the huge path");
        }
    }

    @Test
    void aDeclaredBodyOver10MiB_is413_beforeItIsRead() throws Exception {
        CountingHandler handler = new CountingHandler();
        try (LocalApiServer server = new LocalApiServer(handler, 0);
             Socket s = new Socket("127.0.0.1", URI.create(server.url()).getPort())) {
            s.getOutputStream().write(("POST /v1/projects/p/models HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            s.setSoTimeout(120_000);
            String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertEquals("HTTP/1.1 413", status);
            assertEquals(0, handler.calls.get());
        }
    }
}
