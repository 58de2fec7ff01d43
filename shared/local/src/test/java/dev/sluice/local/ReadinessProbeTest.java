package dev.sluice.local;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local stack's start: S3Mock's readiness probe ({@link EmulatorStack#answersAsS3}) takes only S3Mock's own answer
 * for "started", and ports are drawn so that no two servers are given the same. CI failed once (2026-11-30) with
 * "connection refused" from S3 right after the stack said S3Mock was up: S3Mock had been given one port twice, its
 * HTTPS connector answered the probe with a 400 for a moment, then S3Mock exited (its log: "Address already in use"
 * on the second connector); the old probe took any HTTP answer for "started".
 */
class ReadinessProbeTest {
    @Test
    void aConnectionThatEchoesTheRequest_isNotAnAnswer() throws Exception {
        // what a probe that connected to itself would read: its own bytes (the old probe saw status -1, no error)
        try (ServerSocket echo = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                try (Socket c = echo.accept()) {
                    InputStream in = c.getInputStream();
                    OutputStream out = c.getOutputStream();
                    byte[] buffer = new byte[8192];
                    int n = in.read(buffer);
                    out.write(buffer, 0, Math.max(n, 0));
                    out.flush();
                    c.shutdownOutput();
                    while (in.read(buffer) >= 0) {
                        // until the probe closes
                    }
                } catch (Exception closed) {
                    // the probe went away
                }
            });
            server.start();
            assertFalse(EmulatorStack.answersAsS3(URI.create("http://127.0.0.1:" + echo.getLocalPort() + "/")));
            server.join();
        }
    }

    @Test
    void anotherServerOnThePort_isNotS3Mock_andS3MocksListing_is() throws Exception {
        assertFalse(answers(200, "<ReceiveMessageResponse/>"), "another emulator holding the port");
        assertFalse(answers(404, ""), "an HTTP answer that is not a bucket listing");
        assertTrue(answers(200, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult "
                + "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets/></ListAllMyBucketsResult>"));
        assertFalse(EmulatorStack.answersAsS3(URI.create("http://127.0.0.1:" + EmulatorStack.freePort() + "/")),
                "nobody listening");
    }

    private static boolean answers(int status, String body) throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        http.start();
        try {
            return EmulatorStack.answersAsS3(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/"));
        } finally {
            http.stop(0);
        }
    }

    @Test
    void theInJvmEmulators_neverTakeAPortS3MockWasGiven() {
        java.util.Iterator<Integer> candidates = List.of(5001, 5003, 5001, 5005).iterator();
        assertEquals(5005, EmulatorStack.freePort(candidates::next, port -> port == 5001 || port == 5003));
    }

    @Test
    void portsDrawnTogether_areAllDifferent() {
        // 500 draws one after the other from the ~14,000 odd ports Linux hands out would repeat some (about 9 pairs)
        List<Integer> ports = EmulatorStack.freePorts(500);
        assertEquals(500, new java.util.HashSet<>(ports).size());
    }

    @Test
    void s3MockGivenOnePortTwice_isNotTakenForStarted_butSeenToExitForATakenPort() throws Exception {
        // the CI failure of 2026-11-30 as it happened: its HTTPS connector answers 400 on the port for a moment
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory("sluice-s3mock-test");
        java.nio.file.Path beans = EmulatorStack.beansOf(root);
        java.nio.file.Files.writeString(beans, EmulatorStack.S3MOCK_HTTP_ON_LOOPBACK);
        int port = EmulatorStack.freePort();
        EmulatorStack.S3MockProcess s3 = EmulatorStack.launchS3Mock(root, beans, List.of(), List.of(port, port));
        try {
            IllegalStateException exited = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> EmulatorStack.waitForS3Mock(s3, 600_000));
            assertTrue(exited.getMessage().startsWith("S3Mock exited"), exited.getMessage());
            assertTrue(EmulatorStack.portWasTaken(s3.log()), "so the stack starts it again on new ports");
        } finally {
            s3.process().destroyForcibly().waitFor();
            Runtime.getRuntime().removeShutdownHook(s3.hook());
            java.nio.file.Files.deleteIfExists(beans);
            java.nio.file.Files.deleteIfExists(s3.log());
            for (java.nio.file.Path tree : List.of(root, EmulatorStack.scratchOf(root))) {
                try (var files = java.nio.file.Files.walk(tree)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }
}
