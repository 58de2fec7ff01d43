package dev.sluice.client;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A server that closes a kept-alive connection when the next request arrives on it, without a byte of answer (what
 * an idle timeout on the server does when it meets the client reusing the connection): the client sends the request
 * again on a new connection instead of failing (seen as "HTTP/1.1 header parser received no bytes" on a busy machine).
 */
class StaleConnectionTest {
    static final int KEPT = 6;
    static final java.util.concurrent.CountDownLatch ALL_CONNECTED = new java.util.concurrent.CountDownLatch(KEPT);

    @Test
    void aRequestOnAConnectionTheServerClosed_isSentAgainOnANewOne() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread serving = Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        int n = connections.incrementAndGet();
                        Thread.ofVirtual().start(() -> serve(socket, n, answered));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            SluiceClient client = new SluiceClient("http://127.0.0.1:" + server.getLocalPort(), "proj_x", "sk_x");
            // KEPT requests at once: the client keeps KEPT connections alive, each of which the server closes at its
            // next request without answering (more than the client's attempts)
            java.util.List<Thread> first = new java.util.ArrayList<>();
            for (int i = 0; i < KEPT; i++) {
                first.add(Thread.ofVirtual().start(() -> assertEquals("kept", client.get("/things").path("name").asText())));
            }
            for (Thread t : first) {
                t.join();
            }
            assertEquals(KEPT, connections.get());
            assertEquals("fresh", client.post("/things", java.util.Map.of("a", 1)).path("name").asText());
            assertEquals(KEPT + 1, answered.get());
            server.close();
            serving.join();
        }
    }

    private static void serve(Socket socket, int connection, AtomicInteger answered) {
        try (socket) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            for (int request = 1; ; request++) {
                String line = in.readLine();
                if (line == null) {
                    return;
                }
                int length = 0;
                while (!(line = in.readLine()).isEmpty()) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).trim());
                    }
                }
                in.skip(length);
                if (connection <= KEPT && request == 2) {
                    return; // closed without a byte of answer
                }
                if (connection <= KEPT) {
                    ALL_CONNECTED.countDown(); // answer once all are open, so that the client opens KEPT of them
                    try {
                        ALL_CONNECTED.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                answered.incrementAndGet();
                String body = "{\"name\":\"" + (connection <= KEPT ? "kept" : "fresh") + "\"}";
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
