package dev.sluice.cli;

import com.sun.net.httpserver.HttpServer;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20 item 4, fair shares between projects on one stack: a small job of one project finishes within 2× its time
 * alone while another project runs a job of 240 items on a host that drips a byte a second and 40 one-item jobs
 * beside it (the fan-out and inference queues full of the noisy project's messages). A ratio measured within one
 * run (server-side job durations, the median of three small jobs each side), never a wall time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FairSharesTest {
    static final String NOISY = "proj_noisy_neighbour";
    static final String NOISY_KEY = "sk_noisy_neighbour_bootstrap_key_01";
    StackUnderTest under;
    SluiceClient noisy;
    LocalJobs noisyJobs;
    String noisyModel;
    HttpServer drip;
    final AtomicInteger requests = new AtomicInteger();
    final CountDownLatch closed = new CountDownLatch(1);

    @BeforeAll
    void start() throws IOException {
        under = new StackUnderTest(Samples.root().resolve("images"), LocalProvisioner.QueueSettings.TEST,
                StageWrapper.NONE, true, List.of());
        LocalProvisioner.bootstrapKey(under.stack.clients.dynamo(), under.stack.services.config(), NOISY, NOISY_KEY);
        noisy = new SluiceClient(under.stack.apiUrl(), NOISY, NOISY_KEY);
        noisyModel = LocalJobs.uploadClassifier(noisy);
        noisyJobs = new LocalJobs(noisy, under.images, noisyModel, s -> { });
        drip = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
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
                // the fetch was cut off
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

    /** The small job's time from creation to its last update (Finished), as the stack recorded it. */
    long smallJobMillis() {
        LocalJobs.Run done = under.jobs.await(under.jobs.startJob(under.jobs.photoLines(8), 8, "Lambda"),
                Duration.ofMinutes(5));
        assertEquals("Finished", done.job().path("status").path("overview").asText(), done.job().toString());
        assertEquals(8, done.counters().delivered(), done.counters().toString());
        return done.job().path("status").path("updateTime").asLong() - done.job().path("createTime").asLong();
    }

    long median(List<Long> values) {
        return values.stream().sorted().toList().get(values.size() / 2);
    }

    @Test
    void aSmallJobOfAnotherProject_finishesWithinTwiceItsTimeAlone_besideASlowHostsBacklog() {
        smallJobMillis(); // warm-up: the model session, the JIT
        List<Long> alone = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            alone.add(smallJobMillis());
        }

        String dripUrl = "http://127.0.0.1:" + drip.getAddress().getPort() + "/";
        List<String> slowLines = new ArrayList<>();
        for (int i = 0; i < 240; i++) {
            slowLines.add(Json.write(Map.of("kind", "Image", "url", dripUrl + "slow-" + i + ".jpg")));
        }
        LocalJobs.Run slowJob = noisyJobs.startJob(slowLines, 1, "Lambda");
        List<LocalJobs.Run> oneItemJobs = new ArrayList<>();
        String oneItemDataset = noisyJobs.readyDataset(List.of(Json.write(Map.of("kind", "Image", "url", dripUrl + "one.jpg"))));
        for (int i = 0; i < 40; i++) {
            oneItemJobs.add(new LocalJobs.Run(noisy.createJob("one", oneItemDataset, noisyModel, "Lambda", null, 1), null, List.of()));
        }
        long waitUntil = System.currentTimeMillis() + LocalJobs.WAIT_MILLIS;
        while (requests.get() < 10 && System.currentTimeMillis() < waitUntil) {
            SluiceClient.sleep(50);
        }
        assertTrue(requests.get() >= 10, "the slow host was asked for the noisy project's items");

        List<Long> beside = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            beside.add(smallJobMillis());
        }
        String slowState = noisy.job(slowJob.jobId()).path("status").path("overview").asText();
        for (LocalJobs.Run r : oneItemJobs) {
            noisy.cancel(r.jobId());
        }
        noisy.cancel(slowJob.jobId());

        assertEquals("Running", slowState, "the noisy job was still running when the small jobs ended");
        double ratio = (double) median(beside) / median(alone);
        System.out.printf("FairSharesTest: small job alone %s ms, beside the noisy project %s ms, ratio %.2f%n",
                alone, beside, ratio);
        assertTrue(ratio <= 2.0, "small job alone " + alone + " ms, beside the noisy project " + beside
                + " ms: ratio " + ratio);
    }
}
