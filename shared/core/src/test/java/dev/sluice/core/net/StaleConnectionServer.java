package dev.sluice.core.net;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 server whose first {@code kept} connections each answer one request (all at once, so that a client
 * opens that many) and close at the next request on them without a byte of answer: what a server's idle timeout does
 * to a client that reuses the connection at that moment. Later connections answer every request. Bound to 127.0.0.1.
 */
public final class StaleConnectionServer implements AutoCloseable {
    private final ServerSocket server;
    private final int kept;
    private final CountDownLatch allConnected;
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger answered = new AtomicInteger();
    private final byte[] body;

    public StaleConnectionServer(int kept, byte[] body) throws IOException {
        this.kept = kept;
        this.body = body;
        this.allConnected = new CountDownLatch(kept);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    int n = connections.incrementAndGet();
                    Thread.ofVirtual().start(() -> serve(socket, n));
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getLocalPort() + path;
    }

    private void serve(Socket socket, int connection) {
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
                if (connection <= kept) {
                    if (request == 2) {
                        return; // closed without a byte of answer
                    }
                    allConnected.countDown();
                    allConnected.await();
                }
                answered.incrementAndGet();
                out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(body);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
