package dev.sluice.client;

import dev.sluice.core.net.StaleConnectionServer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server that closes a kept-alive connection when the next request arrives on it, without a byte of answer (what
 * an idle timeout on the server does when it meets the client reusing the connection): the client sends the request
 * again on a new connection instead of failing (seen as "HTTP/1.1 header parser received no bytes" on a busy machine).
 */
class StaleConnectionTest {
    /** More kept-alive connections than the client has attempts. */
    static final int KEPT = 6;

    @Test
    void aRequestOnAConnectionTheServerClosed_isSentAgainOnANewOne() throws Exception {
        try (StaleConnectionServer server = new StaleConnectionServer(KEPT,
                "{\"name\":\"ok\"}".getBytes(StandardCharsets.UTF_8))) {
            SluiceClient client = new SluiceClient(server.url(""), "proj_x", "sk_x");
            List<Thread> first = new ArrayList<>();
            for (int i = 0; i < KEPT; i++) {
                first.add(Thread.ofVirtual().start(() -> assertEquals("ok", client.get("/things").path("name").asText())));
            }
            for (Thread t : first) {
                t.join();
            }
            assertEquals(KEPT, server.connections.get());
            assertEquals("ok", client.post("/things", Map.of("a", 1)).path("name").asText());
            assertEquals(KEPT + 1, server.answered.get());
        }
    }
}
