package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.Json;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.testing.OnnxWriter;
import dev.sluice.local.StageWrapper;
import dev.sluice.local.StaticFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A job of 40,000 items through the whole local stack (a tiny ONNX classifier on tiny PNGs, so that the run is
 * about orchestration, not arithmetic): it finishes with exact counters and exactly one result line per item. 40,000
 * is 157 batches of 256 over many inference invocations and result parts, with bad lines among them; the bench's
 * jobs and FanoutMillionLinesTest carry the larger counts.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LoadTest {
    static final int ITEMS = 40_000;
    static final int BAD_EVERY = 4_000;

    StackUnderTest under;
    SluiceClient client;
    StaticFiles images;

    @BeforeAll
    void start() throws Exception {
        Path imageDir = Files.createTempDirectory("sluice-load");
        int[] colours = {0xff0000, 0x00ff00, 0x0000ff, 0x808080};
        for (int i = 0; i < colours.length; i++) {
            BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    image.setRGB(x, y, colours[i]);
                }
            }
            ImageIO.write(image, "png", imageDir.resolve("c" + i + ".png").toFile());
        }
        under = new StackUnderTest(imageDir, LocalProvisioner.QueueSettings.LOCAL, StageWrapper.NONE, false);
        client = under.client;
        images = under.images;
    }

    @AfterAll
    void stop() {
        if (under != null) {
            under.close();
        }
    }

    /** The tiny classifier (red, green, blue or grey: the channel means decide the class), Ready; its id. */
    String tinyModel() {
        byte[] onnx = OnnxWriter.tinyClassifier(8, new float[][]{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}},
                new float[]{0, 0, 0, 0.6f});
        JsonNode model = client.createModel("tiny", "ImageClassification", List.of("red", "green", "blue", "grey"),
                Map.of("resizeShortSide", 8, "cropSize", 8, "mean", List.of(0, 0, 0), "std", List.of(1, 1, 1), "topK", 1));
        client.upload(model.path("status").path("source").path("uploadUrl"), onnx);
        String modelId = model.get("id").asText();
        client.waitFor(() -> client.model(modelId), Duration.ofMinutes(5), "Uploading");
        return modelId;
    }

    @Test
    void aJobOf40kItems_finishesWithExactCounters_andOneResultLinePerItem() {
        String modelId = tinyModel();
        StringBuilder ndjson = new StringBuilder(ITEMS * 60);
        for (int i = 0; i < ITEMS; i++) {
            if (i % BAD_EVERY == BAD_EVERY - 1) {
                ndjson.append("{\"kind\":\"Image\",\"url\":\n");
            } else {
                ndjson.append("{\"kind\":\"Image\",\"url\":\"").append(images.url("c" + (i % 4) + ".png")).append("\"}\n");
            }
        }
        JsonNode dataset = client.createDataset("40k");
        client.upload(dataset.path("status").path("source").path("uploadUrl"), ndjson.toString().getBytes());
        String datasetId = dataset.get("id").asText();
        client.waitFor(() -> client.dataset(datasetId), Duration.ofMinutes(2), "Uploading", "Validating");

        long started = System.currentTimeMillis();
        long[] peakHeap = {0};
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakHeap[0] = Math.max(peakHeap[0], usedHeapAfterGc());
                try {
                    Thread.sleep(5_000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        JsonNode job = client.post("/batch/jobs", Map.of("name", "load", "spec", Map.of("datasetId", datasetId,
                "deployment", Map.of("modelId", modelId), "batchSize", 256)));
        String jobId = job.get("id").asText();
        JsonNode done = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(20), "Waiting", "Running");
        sampler.interrupt();
        System.out.printf("load: %d items in %.1f s; heap in use after GC at most %d MiB (emulators included)%n",
                ITEMS, (System.currentTimeMillis() - started) / 1000.0, peakHeap[0] >> 20);

        assertEquals("Finished", done.path("status").path("overview").asText(), done.toString());
        ItemCounters c = Json.MAPPER.convertValue(done.path("status").path("items"), ItemCounters.class);
        assertNull(c.violation(ITEMS), c.toString());
        assertEquals(ITEMS / BAD_EVERY, c.failedGather(), c + " " + client.logs(jobId, "minLevel=Error&maxEntries=20"));
        assertEquals(ITEMS - ITEMS / BAD_EVERY, c.delivered(), c.toString());

        // one result line per item, with the class its colour gives
        JsonNode results = LocalJobs.results(client, jobId);
        BitSet seen = new BitSet(ITEMS);
        long lines = 0;
        for (JsonNode part : results.get("parts")) {
            for (String line : LocalJobs.httpGet(part.path("url").asText()).split("\n")) {
                JsonNode r = Json.tree(line);
                int index = r.path("item").path("index").asInt();
                assertFalse(seen.get(index), "item " + index + " has one result line");
                seen.set(index);
                lines++;
                String expected = List.of("red", "green", "blue", "grey").get(index % 4);
                assertEquals(expected, r.path("prediction").path("classes").path(0).path("label").asText(), line);
            }
        }
        assertEquals(ITEMS - ITEMS / BAD_EVERY, lines);
    }

    /**
     * 2,560 one-item batches (batchSize 1) on the GPU pool: the worker forms dynamic batches of up to 256 messages,
     * whose commits must be split to fit TransactWriteItems (on old main every such commit was refused and the items
     * ended failedPredict). Every item is delivered, each result once. (Ten full dynamic batches' worth of messages;
     * it was 10,000.)
     */
    @Test
    void aGpuPoolJobOf2560OneItemBatches_deliversEveryItem() {
        int items = 2_560;
        String modelId = tinyModel();
        StringBuilder ndjson = new StringBuilder(items * 60);
        for (int i = 0; i < items; i++) {
            ndjson.append("{\"kind\":\"Image\",\"url\":\"").append(images.url("c" + (i % 4) + ".png")).append("\"}\n");
        }
        JsonNode dataset = client.createDataset("2560");
        client.upload(dataset.path("status").path("source").path("uploadUrl"), ndjson.toString().getBytes());
        String datasetId = dataset.get("id").asText();
        client.waitFor(() -> client.dataset(datasetId), Duration.ofMinutes(2), "Uploading", "Validating");
        JsonNode job = client.post("/batch/jobs", Map.of("name", "gpu-2560", "spec", Map.of("datasetId", datasetId,
                "deployment", Map.of("modelId", modelId, "target", "GpuPool"), "batchSize", 1)));
        String jobId = job.get("id").asText();
        JsonNode done = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(20), "Waiting", "Running");

        assertEquals("Finished", done.path("status").path("overview").asText(), done.toString());
        ItemCounters c = Json.MAPPER.convertValue(done.path("status").path("items"), ItemCounters.class);
        assertNull(c.violation(items), c.toString());
        assertEquals(items, c.delivered(), c.toString());
        BitSet seen = new BitSet(items);
        for (JsonNode part : LocalJobs.results(client, jobId).get("parts")) {
            for (String line : LocalJobs.httpGet(part.path("url").asText()).split("\n")) {
                int index = Json.tree(line).path("item").path("index").asInt();
                assertFalse(seen.get(index), "item " + index + " has one result line");
                seen.set(index);
            }
        }
        assertEquals(items, seen.cardinality());
    }

    static long usedHeapAfterGc() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                used += pool.getCollectionUsage().getUsed();
            }
        }
        return used;
    }
}
