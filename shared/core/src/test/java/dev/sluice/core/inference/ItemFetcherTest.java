package dev.sluice.core.inference;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.net.DripServer;
import dev.sluice.core.net.OutboundGuard;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Gathering from servers that send too much, fail for a moment, or fail for good. */
class ItemFetcherTest {
    static final long MAX = 32L * 1024 * 1024;
    static HttpServer server;
    static final AtomicLong streamed = new AtomicLong();
    static final AtomicInteger flakyCalls = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        // a "1 GB image" sent without a length: the fetch must stop at the cap, not buffer the gigabyte
        server.createContext("/huge-chunked.jpg", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[1 << 20];
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 1024; i++) {
                    out.write(chunk);
                    streamed.addAndGet(chunk.length);
                }
            } catch (java.io.IOException e) {
                // the client hung up, as it should
            }
        });
        // the same, announced by Content-Length: refused before the body is read
        server.createContext("/huge-declared.jpg", exchange -> {
            exchange.sendResponseHeaders(200, 1L << 30);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(new byte[1 << 16]);
                out.flush();
                Thread.sleep(2_000);
            } catch (java.io.IOException | InterruptedException e) {
                // the client hung up
            }
        });
        server.createContext("/flaky.jpg", exchange -> {
            int call = flakyCalls.incrementAndGet();
            exchange.sendResponseHeaders(call < 3 ? 503 : 200, call < 3 ? -1 : 4);
            if (call >= 3) {
                exchange.getResponseBody().write(new byte[]{1, 2, 3, 4});
            }
            exchange.close();
        });
        server.createContext("/gone.jpg", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        // Content-Encoding: gzip of a JPEG's bytes, a gzip bomb (40 MiB of zeros, about 40 KB sent), and brotli
        server.createContext("/gzip.jpg", exchange -> {
            sawAcceptEncoding.set(exchange.getRequestHeaders().getFirst("Accept-Encoding"));
            byte[] body = gzip(JPEG_START);
            exchange.getResponseHeaders().add("Content-Encoding", "gzip");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/bomb.jpg", exchange -> {
            byte[] body = gzip(new byte[(int) MAX + (8 << 20)]);
            exchange.getResponseHeaders().add("Content-Encoding", "gzip");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.createContext("/brotli.jpg", exchange -> {
            exchange.getResponseHeaders().add("Content-Encoding", "br");
            exchange.sendResponseHeaders(200, 3);
            exchange.getResponseBody().write(new byte[]{1, 2, 3});
            exchange.close();
        });
        // bodies of every shape the array is sized for: declared (empty, small, past the presize), undeclared (chunked)
        for (int length : BODY_LENGTHS) {
            byte[] body = body(length);
            server.createContext("/declared-" + length + ".jpg", exchange -> {
                exchange.sendResponseHeaders(200, length == 0 ? -1 : length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.createContext("/chunked-" + length + ".jpg", exchange -> {
                exchange.sendResponseHeaders(200, 0);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (int at = 0; at < length; at += 7_000) { // odd pieces, so buffers and array edges do not line up
                        out.write(body, at, Math.min(7_000, length - at));
                    }
                }
            });
        }
        server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    static final int[] BODY_LENGTHS = {0, 1, 70_001, ItemFetcher.CappedBody.PRESIZE_BYTES,
            ItemFetcher.CappedBody.PRESIZE_BYTES + 1, 3_000_017};

    static byte[] body(int length) {
        byte[] b = new byte[length];
        new java.util.Random(length).nextBytes(b);
        return b;
    }

    /** The body is read straight into one array (sized by Content-Length, or grown and trimmed): every byte arrives. */
    @Test
    void bodiesDeclaredOrChunked_ofEverySize_arriveByteForByte() {
        for (int length : BODY_LENGTHS) {
            for (String shape : java.util.List.of("declared", "chunked")) {
                ItemFetcher.Fetched f = fetcher().fetch(url("/" + shape + "-" + length + ".jpg"));
                assertTrue(f.ok(), shape + " " + length + ": " + f.reason());
                assertTrue(java.util.Arrays.equals(body(length), f.bytes()), shape + " " + length + " bytes differ");
            }
        }
    }

    /**
     * A declared length reserves at most {@link ItemFetcher.CappedBody#PRESIZE_BYTES} before its bytes arrive (a
     * server declaring 30 MiB and sending little holds 1 MiB); a body shorter than declared (HTTP/2 may end early)
     * comes out at its real length, and bytes past the cap fail too large however they were declared.
     */
    @Test
    void aDeclaredLength_reservesAtMostThePresize_andTheBodyIsWhatArrived() {
        ItemFetcher.CappedBody body = new ItemFetcher.CappedBody(MAX, 30L << 20);
        java.util.List<Long> requested = new java.util.ArrayList<>();
        body.onSubscribe(new java.util.concurrent.Flow.Subscription() {
            public void request(long n) {
                requested.add(n);
            }

            public void cancel() {
                requested.add(-1L);
            }
        });
        assertEquals(ItemFetcher.CappedBody.PRESIZE_BYTES, body.reserved());
        body.onNext(java.util.List.of(java.nio.ByteBuffer.wrap(body(5))));
        body.onComplete();
        assertTrue(java.util.Arrays.equals(body(5), body.getBody().toCompletableFuture().join()));

        ItemFetcher.CappedBody over = new ItemFetcher.CappedBody(10, 4);
        over.onSubscribe(new java.util.concurrent.Flow.Subscription() {
            public void request(long n) {
            }

            public void cancel() {
                requested.add(-1L);
            }
        });
        over.onNext(java.util.List.of(java.nio.ByteBuffer.wrap(body(4)), java.nio.ByteBuffer.wrap(body(7))));
        assertTrue(over.getBody().toCompletableFuture().isCompletedExceptionally(), "11 bytes past a cap of 10");
        assertEquals(-1L, requested.getLast(), "the stream is cancelled");
    }

    static final byte[] JPEG_START = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F'};
    static final java.util.concurrent.atomic.AtomicReference<String> sawAcceptEncoding =
            new java.util.concurrent.atomic.AtomicReference<>();

    static byte[] gzip(byte[] data) throws java.io.IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream z = new java.util.zip.GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }

    /** Issue 21 item 7: a gzip-encoded item is decoded; the size cap holds for the decoded bytes (a gzip bomb). */
    @Test
    void gzipEncodedItem_isDecoded_andAGzipBomb_failsTooLarge() {
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        ItemFetcher.Fetched ok = fetcher().fetch(base + "/gzip.jpg");
        assertTrue(ok.ok(), ok.reason());
        assertEquals(java.util.List.of(JPEG_START.length), java.util.List.of(ok.bytes().length));
        assertTrue(java.util.Arrays.equals(JPEG_START, ok.bytes()));
        assertEquals("gzip, deflate", sawAcceptEncoding.get());

        ItemFetcher.Fetched bomb = fetcher().fetch(base + "/bomb.jpg");
        assertEquals("gather.too_large", bomb.errorCode(), bomb.reason());
        assertEquals("gather.unsupported_encoding", fetcher().fetch(base + "/brotli.jpg").errorCode());
    }

    @Test
    void deflate_zlibOrRaw_isDecoded_andGarbage_isCorruptEncoding() throws Exception {
        byte[] data = "an image".getBytes();
        java.io.ByteArrayOutputStream zlib = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.DeflaterOutputStream(zlib)) {
            z.write(data);
        }
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.DeflaterOutputStream(raw, new java.util.zip.Deflater(6, true))) {
            z.write(data);
        }
        assertTrue(java.util.Arrays.equals(data, fetcher().decoded(zlib.toByteArray(), java.util.List.of("deflate")).bytes()));
        assertTrue(java.util.Arrays.equals(data, fetcher().decoded(raw.toByteArray(), java.util.List.of("deflate")).bytes()));
        assertTrue(java.util.Arrays.equals(data, fetcher().decoded(gzip(data), java.util.List.of("identity, gzip")).bytes()));
        assertEquals("gather.corrupt_encoding", fetcher().decoded(data, java.util.List.of("gzip")).errorCode());
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    static ItemFetcher fetcher() {
        return new ItemFetcher(null, Duration.ofSeconds(2), Duration.ofSeconds(20), MAX, true,
                new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true), dev.sluice.core.AllowedBuckets.none("data"));
    }

    /**
     * Issue 14: an s3:// item reads only buckets the operator allowed, never the data bucket (even when listed), and a
     * refused bucket is refused before any S3 request: the same answer whether the object exists or not.
     */
    @Test
    void s3Items_ofBucketsNotAllowed_orTheDataBucket_areRefusedBeforeAnyS3Request() {
        java.util.List<String> reads = new java.util.ArrayList<>();
        dev.sluice.core.port.ObjectStore store = (dev.sluice.core.port.ObjectStore) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{dev.sluice.core.port.ObjectStore.class}, (proxy, method, args) -> {
                    if (!method.getName().equals("readItem")) {
                        throw new AssertionError("unexpected " + method.getName());
                    }
                    reads.add(args[0] + "/" + args[1]);
                    return new byte[]{1, 2, 3};
                });
        ItemFetcher fetcher = new ItemFetcher(store, Duration.ofSeconds(2), Duration.ofSeconds(20), MAX, false,
                new OutboundGuard(OutboundGuard.Resolver.SYSTEM, false),
                new dev.sluice.core.AllowedBuckets(java.util.Set.of("photos", "sluice-data"), "sluice-data"));
        for (String url : java.util.List.of("s3://sluice-data/models/proj_a/model_1.onnx", "s3://sluice-data/missing",
                "s3://other-bucket/cat.jpg", "s3://Photos/cat.jpg", "s3://photos.evil/cat.jpg")) {
            ItemFetcher.Fetched f = fetcher.fetch(url);
            assertEquals("gather.bucket_refused", f.errorCode(), url + ": " + f.reason());
        }
        assertEquals(java.util.List.of(), reads, "no S3 request for a refused bucket");
        ItemFetcher.Fetched allowed = fetcher.fetch("s3://photos/cat.jpg");
        assertTrue(allowed.ok(), allowed.reason());
        assertEquals(java.util.List.of("photos/cat.jpg"), reads);
    }

    static String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void aGigabyteWithoutALength_stopsAtTheCap() {
        ItemFetcher.Fetched f = fetcher().fetch(url("/huge-chunked.jpg"));
        assertEquals("gather.too_large", f.errorCode(), f.reason());
        assertTrue(streamed.get() < 1L << 30, "the fetch hung up before the gigabyte: " + streamed.get());
    }

    @Test
    void aGigabyteByContentLength_isRefusedBeforeReading() {
        assertEquals("gather.too_large", fetcher().fetch(url("/huge-declared.jpg")).errorCode());
    }

    /**
     * Issue 21 item 10: a file:// item naming a device or a FIFO (whose size reads 0) was read without end
     * (/dev/zero) or blocked forever (a pipe nobody writes); both are refused before they are opened.
     */
    @Test
    void aFileUrlNamingADeviceOrAFifo_isRefusedBeforeItIsOpened(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path fifo = dir.resolve("pipe.jpg");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(), "mkfifo");
        for (String url : java.util.List.of("file:///dev/zero", fifo.toUri().toString())) {
            ItemFetcher.Fetched f = fetcher().fetch(url);
            assertEquals("gather.not_a_file", f.errorCode(), url + ": " + f.reason());
        }
    }

    /**
     * A server that sends its headers at once and its body a byte a second is cut off at the fetch's deadline (old
     * main waited for the whole body: the request timeout covers only the headers), and its connection is closed;
     * a normal item fetched beside it (the same client, while the slow body drips) arrives.
     */
    @Test
    @org.junit.jupiter.api.Timeout(120) // a hang guard only: the drip body would take 28 hours
    void oneByteASecondServer_isCutOffAtTheDeadline_andANormalFetchBesideItIsNotHeld() throws Exception {
        try (dev.sluice.core.net.DripServer drip = new dev.sluice.core.net.DripServer()) {
            ItemFetcher fetcher = new ItemFetcher(null, Duration.ofSeconds(2), Duration.ofSeconds(3), MAX, true,
                    new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true), dev.sluice.core.AllowedBuckets.none("data"));
            var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
            var slow = pool.submit(() -> fetcher.fetch(drip.url("/slow.jpg")));
            while (drip.started() == 0) {
                Thread.sleep(10);
            }
            ItemFetcher.Fetched normal = fetcher.fetch(drip.url("/fast"));
            assertTrue(normal.ok(), normal.reason());
            assertEquals(4, normal.bytes().length);

            ItemFetcher.Fetched f = slow.get();
            assertEquals("gather.timeout", f.errorCode(), f.reason());
            assertTrue(drip.bytesSent() < DripServer.BODY_BYTES, "cut off before the body ended");
            assertTrue(drip.awaitHangUp(30), "the fetch closed the connection instead of leaving the server dripping");
            assertEquals(1, drip.started(), "a timed-out fetch is not tried again: its deadline is spent");
        }
    }

    @Test
    void aTransient503_isTriedAgain_aPermanent404_isNot() {
        ItemFetcher.Fetched flaky = fetcher().fetch(url("/flaky.jpg"));
        assertTrue(flaky.ok(), flaky.reason());
        assertEquals(3, flakyCalls.get(), "two 503s, then the bytes");
        assertEquals("gather.http_404", fetcher().fetch(url("/gone.jpg")).errorCode());
    }

    /** A pooled connection that the host closed while idle is no failure: the fetch goes out on a new one. */
    @Test
    void aKeptAliveConnectionTheHostClosed_isFetchedAgainOnANewOne() throws Exception {
        try (dev.sluice.core.net.StaleConnectionServer stale = new dev.sluice.core.net.StaleConnectionServer(6, new byte[]{1, 2, 3})) {
            ItemFetcher fetcher = fetcher();
            java.util.List<Thread> first = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                first.add(Thread.ofVirtual().start(() -> assertTrue(fetcher.fetch(stale.url("/a.jpg")).ok())));
            }
            for (Thread t : first) {
                t.join();
            }
            ItemFetcher.Fetched again = fetcher.fetch(stale.url("/b.jpg"));
            assertTrue(again.ok(), again.errorCode() + ": " + again.reason());
            assertEquals(7, stale.answered.get());
        }
    }
}
