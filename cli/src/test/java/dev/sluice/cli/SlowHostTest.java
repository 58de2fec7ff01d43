package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StageWrapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An image host that sends its headers at once and each image a byte a second, end to end: its job's batches are
 * put back instead of holding the inference worker, a normal job started beside it finishes first, and the slow
 * job's items end failedGather with gather.timeout (each fetch cut off at its deadline, the connection closed). On
 * old main the fetch waited for the whole body: the slow job never ended, and the normal job waited behind it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SlowHostTest {
    /**
     * The product's tunables with a 10 s fetch deadline and 2 s of gather patience (20 s and 5 s by default): the same
     * path (put back 3 times, then cut off at the deadline) in ~45 s instead of ~65; the normal job's photos from
     * loopback arrive well within 10 s.
     */
    static final dev.sluice.aws.Tunables TUNABLES = new dev.sluice.aws.Tunables(
            dev.sluice.aws.Tunables.DEFAULTS.maxItemBytes(), dev.sluice.aws.Tunables.DEFAULTS.itemConnectTimeout(),
            Duration.ofSeconds(10), dev.sluice.aws.Tunables.DEFAULTS.webhookConnectTimeout(),
            dev.sluice.aws.Tunables.DEFAULTS.fanoutReserve(), Duration.ofSeconds(2));

    StackUnderTest under;
    HttpServer drip;
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger hungUp = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);

    @BeforeAll
    void start() throws IOException {
        under = new StackUnderTest(Samples.root().resolve("images"), new LocalProvisioner.QueueSettings(3, 3, 3, 5, 16),
                StageWrapper.NONE, true, List.of(), TUNABLES);
        drip = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        drip.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        drip.createContext("/", exchange -> {
            requests.incrementAndGet();
            try (exchange) {
                exchange.sendResponseHeaders(200, 100_000);
                OutputStream out = exchange.getResponseBody();
                for (int i = 0; i < 100_000 && !closed.await(1, TimeUnit.SECONDS); i++) {
                    out.write(0xff);
                    out.flush();
                }
            } catch (IOException e) {
                hungUp.incrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        drip.start();
    }

    @AfterAll
    void stop() {
        closed.countDown();
        if (drip != null) {
            drip.stop(0);
        }
        if (under != null) {
            under.close();
        }
    }

    @Test
    void oneByteASecondImageHost_doesNotHoldTheWorker_andItsItemsTimeOut() {
        List<String> slowLines = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            slowLines.add(Json.write(Map.of("kind", "Image", "url",
                    "http://127.0.0.1:" + drip.getAddress().getPort() + "/slow-" + i + ".jpg")));
        }
        LocalJobs.Run slowJob = under.jobs.startJob(slowLines, 2, "Lambda");
        long waitUntil = System.currentTimeMillis() + 120_000;
        while (requests.get() == 0 && System.currentTimeMillis() < waitUntil) {
            dev.sluice.client.SluiceClient.sleep(50);
        }
        assertTrue(requests.get() > 0, "the slow host was asked for its images");

        LocalJobs.Run fastDone = under.jobs.await(under.jobs.startJob(under.jobs.photoLines(8), 4, "Lambda"),
                Duration.ofMinutes(3));
        String slowStateWhenFastEnded = under.client.job(slowJob.jobId()).path("status").path("overview").asText();
        LocalJobs.Run slowDone = under.jobs.await(slowJob, Duration.ofMinutes(5));
        // the slow job's batches are put back 3 times (2 s of patience, 10 s of delay) and then waited for up to
        // the 10 s fetch deadline: it takes at least 45 s however fast the machine

        assertEquals("Finished", fastDone.job().path("status").path("overview").asText(), fastDone.job().toString());
        assertEquals(8, fastDone.counters().delivered(), fastDone.counters().toString());
        assertEquals("Running", slowStateWhenFastEnded, "the normal job ended while the slow host was still sending");
        ItemCounters c = slowDone.counters();
        assertNull(c.violation(4), c.toString());
        assertEquals(4, c.failedGather(), c.toString());
        JsonNode errors = under.client.logs(slowDone.jobId(), "minLevel=Error").get("entries");
        assertEquals(4, errors.size());
        errors.forEach(e -> assertTrue(e.path("reason").asText().startsWith("gather.timeout: "), e.toString()));
        assertTrue(requests.get() >= 4 * 4, "each item fetched once per deferral and once more: " + requests.get());
        long deadline = System.currentTimeMillis() + 60_000;
        while (hungUp.get() < requests.get() && System.currentTimeMillis() < deadline) {
            dev.sluice.client.SluiceClient.sleep(100);
        }
        assertEquals(requests.get(), hungUp.get(), "every slow fetch closed its connection");
    }
}
