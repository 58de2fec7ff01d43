package dev.sluice.core.inference;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.net.OutboundGuard;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Connections per web host (issue 21 item 11): a worker opens at most the job's {@code maxConnectionsPerHost} to one
 * host for one project, an item's deadline starts when its request starts, and one project's slots never hold
 * another's fetches. Real servers on loopback.
 */
class PerHostConnectionsTest {
    private static ItemFetcher fetcher(Duration connectTimeout, Duration deadline) {
        return new ItemFetcher(null, connectTimeout, deadline, 1 << 20, true,
                new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true), AllowedBuckets.none("data"));
    }

    /**
     * A modest threaded image host: an accept backlog of 1 and two handler threads; the accept loop takes a
     * connection only when a handler is free, so a burst beyond three connections meets a full accept queue and
     * the kernel drops its SYNs. A burst of 60 one-item fetches (a GPU-pool call of one-item batches) all arrive.
     */
    @Test
    void aBurstToAHostWithASmallAcceptBacklog_losesNoItem_withTheBound() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ExecutorService handlers = Executors.newFixedThreadPool(2)) {
            Semaphore free = new Semaphore(2);
            AtomicInteger served = new AtomicInteger();
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!socket.isClosed()) {
                    try {
                        free.acquire();
                        Socket s = socket.accept();
                        handlers.submit(() -> {
                            try (s) {
                                readHead(s.getInputStream());
                                Thread.sleep(20); // the host's own work per image
                                OutputStream out = s.getOutputStream();
                                out.write(("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd")
                                        .getBytes(StandardCharsets.US_ASCII));
                                out.flush();
                                served.incrementAndGet();
                            } catch (Exception e) {
                                // the client gave up
                            } finally {
                                free.release();
                            }
                        });
                    } catch (Exception e) {
                        free.release();
                    }
                }
            });
            // a connect that meets dropped SYNs waits for their retransmit (1 s): with a 500 ms connect timeout each
            // such connect times out, so only the bound keeps every item
            ItemFetcher fetcher = fetcher(Duration.ofMillis(500), Duration.ofSeconds(3));
            String base = "http://127.0.0.1:" + socket.getLocalPort() + "/img/";
            List<Future<ItemFetcher.Fetched>> fetches = new ArrayList<>();
            try (ExecutorService burst = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < 60; i++) {
                    String url = base + i + ".jpg";
                    fetches.add(burst.submit(() -> fetcher.fetch(url, "proj_a", 2)));
                }
                List<String> failures = new ArrayList<>();
                for (Future<ItemFetcher.Fetched> f : fetches) {
                    ItemFetcher.Fetched fetched = f.get();
                    if (!fetched.ok()) {
                        failures.add(fetched.errorCode() + ": " + fetched.reason());
                    }
                }
                assertEquals(List.of(), failures);
            }
            assertTrue(served.get() >= 60, "served " + served.get());
            socket.close();
            acceptor.join(5_000);
        }
    }

    /**
     * At most the limit in flight, whatever the burst; and the deadline (1 s here) counts from the request's start:
     * 12 fetches one at a time, each taking 150 ms, end 1.8 s after the first began, and none times out.
     */
    @Test
    void fetchesInFlightStayWithinTheLimit_andAWaitForASlotIsNotCountedInTheDeadline() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.createContext("/", exchange -> {
            peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            inFlight.decrementAndGet(); // before the answer: the client's slot is held until after its last byte
            exchange.sendResponseHeaders(200, 4);
            exchange.getResponseBody().write(new byte[]{1, 2, 3, 4});
            exchange.close();
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        try (ExecutorService burst = Executors.newVirtualThreadPerTaskExecutor()) {
            ItemFetcher fetcher = fetcher(Duration.ofSeconds(2), Duration.ofSeconds(1));
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/";
            List<Future<ItemFetcher.Fetched>> one = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String url = base + "one/" + i;
                one.add(burst.submit(() -> fetcher.fetch(url, "proj_a", 1)));
            }
            for (Future<ItemFetcher.Fetched> f : one) {
                ItemFetcher.Fetched fetched = f.get();
                assertTrue(fetched.ok(), fetched.errorCode() + ": " + fetched.reason());
            }
            assertEquals(1, peak.get(), "one at a time with maxConnectionsPerHost 1");
            peak.set(0);
            List<Future<ItemFetcher.Fetched>> three = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String url = base + "three/" + i;
                three.add(burst.submit(() -> fetcher.fetch(url, "proj_b", 3)));
            }
            for (Future<ItemFetcher.Fetched> f : three) {
                assertTrue(f.get().ok());
            }
            assertTrue(peak.get() >= 1 && peak.get() <= 3, "peak " + peak.get());
        } finally {
            server.stop(0);
        }
    }

    /** Project A's fetches stuck on a host do not take project B's slots on the same host. */
    @Test
    void oneProjectsStuckFetches_doNotHoldAnotherProjectsFetchesToTheSameHost() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        server.createContext("/stuck", exchange -> {
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.sendResponseHeaders(200, 1);
            exchange.getResponseBody().write(1);
            exchange.close();
        });
        server.createContext("/fast", exchange -> {
            exchange.sendResponseHeaders(200, 1);
            exchange.getResponseBody().write(2);
            exchange.close();
        });
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            ItemFetcher fetcher = fetcher(Duration.ofSeconds(2), Duration.ofSeconds(60));
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            Future<ItemFetcher.Fetched> aStuck = pool.submit(() -> fetcher.fetch(base + "/stuck", "proj_a", 1));
            Future<ItemFetcher.Fetched> aQueued = pool.submit(() -> fetcher.fetch(base + "/fast?a", "proj_a", 1));

            ItemFetcher.Fetched b = pool.submit(() -> fetcher.fetch(base + "/fast?b", "proj_b", 1)).get();

            assertTrue(b.ok());
            assertFalse(aStuck.isDone() && aQueued.isDone(), "project A's fetches were still held");
            release.countDown();
            assertTrue(aStuck.get().ok());
            assertTrue(aQueued.get().ok());
        } finally {
            server.stop(0);
        }
    }

    private static void readHead(InputStream in) throws java.io.IOException {
        int state = 0;
        int c;
        while (state < 4 && (c = in.read()) >= 0) {
            state = (c == '\r' && state % 2 == 0) || (c == '\n' && state % 2 == 1) ? state + 1 : 0;
        }
    }
}
