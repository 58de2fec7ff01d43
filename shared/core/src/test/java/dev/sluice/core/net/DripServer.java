package dev.sluice.core.net;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test server on 127.0.0.1 that answers every request (GET or POST) with status 200 and its headers at once, then
 * its body one byte a second: the peer that a timeout on the headers alone never cuts off. It notes when a client
 * hangs up in the middle of a body. {@code /fast} answers its body at once, for the normal peer beside it.
 */
public final class DripServer implements AutoCloseable {
    /** The body's declared length: 100,000 bytes at one a second is longer than any test runs. */
    public static final int BODY_BYTES = 100_000;

    private final HttpServer server;
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger bytesSent = new AtomicInteger();
    private final AtomicInteger hungUp = new AtomicInteger();
    private final CountDownLatch firstHangUp = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);

    public DripServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/fast", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
                exchange.sendResponseHeaders(200, 4);
                exchange.getResponseBody().write(new byte[]{1, 2, 3, 4});
            }
        });
        server.createContext("/", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
                started.incrementAndGet();
                exchange.sendResponseHeaders(200, BODY_BYTES);
                OutputStream out = exchange.getResponseBody();
                for (int i = 0; i < BODY_BYTES; i++) {
                    out.write('x');
                    out.flush();
                    bytesSent.incrementAndGet();
                    if (closed.await(1, TimeUnit.SECONDS)) {
                        return;
                    }
                }
            } catch (IOException e) {
                hungUp.incrementAndGet();
                firstHangUp.countDown();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    /** Requests whose slow body began. */
    public int started() {
        return started.get();
    }

    /** Bytes of slow bodies sent so far, all requests together. */
    public int bytesSent() {
        return bytesSent.get();
    }

    /** Waits until a client has hung up in the middle of a slow body (its write failed); false if none did in time. */
    public boolean awaitHangUp(long seconds) throws InterruptedException {
        return firstHangUp.await(seconds, TimeUnit.SECONDS);
    }

    public int hangUps() {
        return hungUp.get();
    }

    @Override
    public void close() {
        closed.countDown();
        server.stop(0);
    }
}
