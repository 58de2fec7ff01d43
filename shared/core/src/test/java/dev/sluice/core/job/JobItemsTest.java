package dev.sluice.core.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeClock;
import dev.sluice.core.fakes.FakeJobStore;
import dev.sluice.core.fakes.FakeObjectStore;
import dev.sluice.core.pipeline.Stage;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The item listing's pages and tailing cursor over in-memory ports (issue 23 item 4). */
class JobItemsTest {
    private final FakeClock clock = new FakeClock();
    private final FakeJobStore store = new FakeJobStore(clock);
    private final FakeObjectStore objects = new FakeObjectStore();
    private final JobItems items = new JobItems(store, objects);
    private final Job job = job(20);

    private Job job(long itemCount) {
        long now = clock.nowMillis();
        Job j = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, "j", "proj_items",
                new JobSpec(Ids.newId(Ids.DATASET, now), new JobSpec.Deployment(Ids.newId(Ids.MODEL, now)), null, null,
                        null, 4),
                new Job.Status(JobState.Running, "Running", null, ItemCounters.ZERO, itemCount, now), now, now);
        store.create(j);
        return j;
    }

    /** An inference batch of a job without a webhook: indexes predicted (delivered at commit) and one 404. */
    private void predicted(String batch, long from, long count, long failedAt) {
        List<LogEntry> entries = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        long ok = 0;
        for (long i = from; i < from + count; i++) {
            if (i == failedAt) {
                entries.add(LogEntry.failure("ItemFailedGather", clock.nowMillis(), "https://h/" + i, i, "FailedGather",
                        "gather.http_404: the host answered 404"));
                continue;
            }
            entries.add(LogEntry.info("ItemPredicted", clock.nowMillis(), "https://h/" + i, i, "Predicted", 1));
            part.append(Json.write(Map.of("item", Map.of("index", i, "id", "id-" + i, "url", "https://h/" + i),
                    "prediction", Map.of("label", "cat-" + i)))).append('\n');
            ok++;
        }
        String key = "proj_items/results/" + job.id() + "/" + batch + ".ndjson";
        objects.put(key, part.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/x-ndjson");
        ItemCounters delta = ItemCounters.predicted(ok).plus(ItemCounters.delivered(ok))
                .plus(ItemCounters.failedGather(count - ok));
        assertTrue(store.commit(new JobStore.StageCommit(job.id(), Stage.INFERENCE, batch, delta, entries,
                clock.nowMillis(), key)));
        clock.advance(1);
    }

    private JobItems.Page page(String after, int limit, String status) {
        Map<String, String> q = new HashMap<>();
        if (after != null) {
            q.put("after", after);
        }
        q.put("limit", Integer.toString(limit));
        if (status != null) {
            q.put("status", status);
        }
        return items.page(job, JobItems.Query.of(q));
    }

    @Test
    void pages_followCommitOrder_carryPredictionsAndReasons_andTheLastCursorTailsWhatComesLater() {
        predicted("b8", 8, 4, 9);
        predicted("b0", 0, 4, -1);
        JobItems.Page first = page(null, 3, null);
        assertEquals(List.of(8L, 9L, 10L), first.data().stream().map(JobItems.Item::index).toList(), "commit order");
        assertTrue(first.hasMore());
        assertEquals("cat-8", first.data().get(0).prediction().path("label").asText());
        assertEquals("id-8", first.data().get(0).id());
        assertEquals("https://h/8", first.data().get(0).url());
        JobItems.Item failed = first.data().get(1);
        assertEquals(ItemOutcomes.Status.FailedGather, failed.status());
        assertEquals("gather.http_404", failed.code());
        assertEquals("gather.http_404: the host answered 404", failed.reason());
        assertEquals("https://h/9", failed.url());

        JobItems.Page second = page(first.nextCursor(), 100, null);
        assertEquals(List.of(11L, 0L, 1L, 2L, 3L), second.data().stream().map(JobItems.Item::index).toList());
        assertFalse(second.hasMore(), "caught up");
        JobItems.Page empty = page(second.nextCursor(), 100, null);
        assertEquals(List.of(), empty.data());
        assertEquals(second.nextCursor(), empty.nextCursor(), "a caught-up cursor stays where it is");

        predicted("b4", 4, 4, -1);
        store.commit(new JobStore.StageCommit(job.id(), Stage.FANOUT, ItemOutcomes.skipBatchId(12),
                ItemCounters.skipped(8), List.of(), clock.nowMillis(), null));
        JobItems.Page later = page(second.nextCursor(), 100, null);
        assertEquals(java.util.stream.Stream.concat(LongStream.range(4, 8).boxed(), LongStream.range(12, 20).boxed()).toList(),
                later.data().stream().map(JobItems.Item::index).toList(), "what was committed after the last page, once");
        JobItems.Item skipped = later.data().get(later.data().size() - 1);
        assertEquals(ItemOutcomes.Status.Skipped, skipped.status());
        assertEquals(ItemOutcomes.JOB_TERMINAL, skipped.code());
        assertEquals(first.data(), page(null, 3, null).data(), "the same cursor, the same page");
        assertEquals(second.data(), page(first.nextCursor(), 100, null).data().subList(0, second.data().size()),
                "a page that was caught up reads the same items again, then what came since");
    }

    @Test
    void everyIndexOnce_whateverThePageSize_andAStatusFilterKeepsTheCursorMoving() {
        predicted("b0", 0, 4, 2);
        predicted("b4", 4, 4, 5);
        store.commit(new JobStore.StageCommit(job.id(), Stage.FANOUT, ItemOutcomes.skipBatchId(8),
                ItemCounters.skipped(12), List.of(), clock.nowMillis(), null));
        for (int limit : new int[]{1, 2, 3, 7, 1000}) {
            List<Long> seen = new ArrayList<>();
            String cursor = null;
            JobItems.Page p;
            do {
                p = page(cursor, limit, null);
                p.data().forEach(i -> seen.add(i.index()));
                cursor = p.nextCursor();
            } while (p.hasMore());
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L),
                    seen.stream().sorted().toList(), "limit " + limit);
        }
        JobItems.Page failures = page(null, 1000, "FailedGather,FailedDeliver");
        assertEquals(List.of(2L, 5L), failures.data().stream().map(JobItems.Item::index).toList());
        assertFalse(failures.hasMore());
    }

    @Test
    void cursorsAreBoundToTheirJobAndProject_andBadQueriesHaveTheirCodes() {
        predicted("b0", 0, 4, -1);
        Job other = job(4);
        String otherCursor = items.page(other, JobItems.Query.of(Map.of())).nextCursor();
        SluiceException bad = assertThrows(SluiceException.class, () -> page(otherCursor, 10, null));
        assertEquals(PageRequest.BAD_CURSOR, bad.code());
        String tampered = PageRequest.encode("v1|items:proj_other:" + job.id() + "|1|0");
        assertEquals(PageRequest.BAD_CURSOR, assertThrows(SluiceException.class, () -> page(tampered, 10, null)).code());
        assertEquals(PageRequest.BAD_CURSOR, assertThrows(SluiceException.class, () -> page("%%%", 10, null)).code());
        assertEquals("request.bad_status", assertThrows(SluiceException.class, () -> page(null, 10, "Predicted")).code());
        assertEquals("request.bad_limit", assertThrows(SluiceException.class, () -> page(null, 0, null)).code());
        JsonNode json = Json.tree(Json.write(page(null, 1, null)));
        assertEquals(List.of("data", "nextCursor", "hasMore"), iterable(json.fieldNames()));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
