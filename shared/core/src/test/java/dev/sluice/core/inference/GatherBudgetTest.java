package dev.sluice.core.inference;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.Item;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A worker holds at most its budget of gathered bytes across the batches of a call (issue 21 item 10): what does not
 * fit waits, then fails {@code gather.too_large}; it never runs out of memory.
 */
class GatherBudgetTest {
    @Test
    void reservations_waitForBytesGivenBack_andACallGivesBackAllItHeld() throws Exception {
        GatherBudget budget = new GatherBudget(100);
        GatherBudget.Call call = budget.openCall();
        assertTrue(call.reserve(60, 0));
        assertFalse(call.reserve(60, 0), "over the capacity while 60 are held");
        assertFalse(call.reserve(101, TimeUnit.SECONDS.toNanos(5)), "more than the capacity never waits");
        call.giveBack(20);
        assertTrue(call.reserve(60, 0));
        assertEquals(100, budget.held());
        call.close();
        assertEquals(0, budget.held());
        assertFalse(call.reserve(10, 0), "a closed call reserves nothing");
        assertEquals(0, budget.held());
    }

    /**
     * Two batches of 16 items of 6 MiB (192 MiB) in a JVM of 64 MiB heap: without the budget the gather runs out of
     * memory; with it (40%: 25 MiB) a few items are held at a time, the rest fail gather.too_large, both batches end.
     */
    @Test
    void smallHeapChild_withTheBudget_endsEveryBatchWithCodes_withoutIt_runsOutOfMemory() throws Exception {
        String with = child("budget");
        assertTrue(with.contains("oom=false"), with);
        assertTrue(with.contains("done=[true, true]"), with);
        assertTrue(with.matches("(?s).*tooLarge=([1-9]\\d*).*"), with);
        assertTrue(with.matches("(?s).*succeeded=([1-9]\\d*).*"), with);
        assertTrue(with.contains("total=32"), with);

        String without = child("none");
        assertTrue(without.contains("oom=true"), "the same call without the budget runs out of memory: " + without);
    }

    static String child(String mode) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), mode).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child ends");
        return out;
    }

    /** The child JVM: one call of two batches whose items are 6 MiB each, with or without the heap's budget. */
    public static final class Child {
        static final int ITEM_BYTES = 6 << 20;
        static final AtomicBoolean OOM = new AtomicBoolean();

        public static void main(String[] args) {
            FakeCore core = new FakeCore();
            ItemFetcher fetcher = new ItemFetcher(null, Duration.ofSeconds(1), Duration.ofSeconds(1), 8 << 20, false,
                    null, AllowedBuckets.none("data")) {
                @Override
                public Fetched fetch(String url) {
                    try {
                        byte[] image = new byte[ITEM_BYTES];
                        image[0] = 1;
                        return new Fetched(image, null, null);
                    } catch (OutOfMemoryError e) {
                        OOM.set(true);
                        throw e;
                    }
                }
            };
            GatherBudget budget = args[0].equals("budget") ? GatherBudget.ofHeap() : new GatherBudget(Long.MAX_VALUE);
            BatchProcessor processor = new BatchProcessor(core.jobs, core.catalog, fetcher, core.predictor,
                    core.objects, core.queue, core.clock, false, core.lifecycle(),
                    BatchProcessor.GATHER_PATIENCE_MILLIS, budget);
            Job job = core.runningJob(32, core.webhook(null, null).id());
            List<BatchMessage> batches = new ArrayList<>();
            for (int first = 0; first < 32; first += 16) {
                List<Item> items = LongStream.range(first, first + 16)
                        .mapToObj(i -> new Item(i, null, Item.IMAGE, "https://img.example.com/" + i + ".jpg")).toList();
                batches.add(new BatchMessage(job.id(), BatchMessage.batchId(first, 16), items));
            }
            List<Boolean> done;
            try {
                done = processor.process(batches);
            } catch (OutOfMemoryError e) {
                OOM.set(true);
                done = List.of();
            }
            ItemCounters c = core.jobs.counters(job.id());
            long tooLarge = core.jobs.logs(job.id(), 0, Long.MAX_VALUE, true, 1000, null).entries().stream()
                    .filter(l -> String.valueOf(l).contains("gather.too_large")).count();
            System.out.println("oom=" + OOM.get() + " done=" + done + " succeeded=" + c.predicted() + " tooLarge="
                    + tooLarge + " total=" + (c.gathered() + c.failedGather()));
            System.exit(0);
        }
    }
}
