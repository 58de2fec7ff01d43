package dev.sluice.testing;

import dev.sluice.core.SluiceException;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionStore;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The execution store on DynamoDB Local: the guard, exactly-once file settlement under races, exact endings. */
class ExecutionStoreTest {
    static HandlerFixture fixture;
    static ExecutionStore store;
    static int n;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        store = fixture.services.executionStore();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static Execution execution(String destination) {
        long now = System.currentTimeMillis();
        Execution.Spec spec = new Execution.Spec("model_x", "etag-1", new Folder("src-bucket", "in"),
                new Folder("dst-bucket", destination), FileType.CSV, FileType.PARQUET, 0, 0, 4, Map.of(), null, null);
        return new Execution("execution_" + String.format("%012x", now) + String.format("%016d", n++), Execution.OBJECT,
                HandlerFixture.PROJECT, spec, new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null),
                now, now);
    }

    static Execution.FileReport file(long index, Execution.FileState state) {
        return new Execution.FileReport(index, "f" + index + ".csv", "f" + index + ".parquet", state, 10L, 0L, 1L, 5.0, null);
    }

    /** compute.tasks' slots: one holder at a time, renewable by it, free again when released or when its lease expired. */
    @Test
    void aSlotLease_hasOneHolder_untilReleasedOrExpired_andOnlyItsHolderReleasesIt() throws Exception {
        String id = execution("out-slots").id();
        assertTrue(store.takeSlot(id, 0, "a", 10_000, 1_000));
        assertFalse(store.takeSlot(id, 0, "b", 10_000, 2_000), "held by a");
        assertTrue(store.takeSlot(id, 1, "b", 10_000, 2_000), "another slot is free");
        assertTrue(store.takeSlot(id, 0, "a", 20_000, 3_000), "a renews its own lease");
        store.releaseSlot(id, 0, "b");
        assertFalse(store.takeSlot(id, 0, "b", 30_000, 4_000), "b cannot free a's slot");
        assertTrue(store.takeSlot(id, 0, "b", 40_000, 20_001), "a's lease expired (a died)");
        store.releaseSlot(id, 0, "b");
        // 8 racers for one free slot: exactly one wins
        var pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            var wins = new java.util.concurrent.atomic.AtomicInteger();
            var futures = new java.util.ArrayList<java.util.concurrent.Future<?>>();
            for (int w = 0; w < 8; w++) {
                String holder = "w" + w;
                futures.add(pool.submit(() -> {
                    if (store.takeSlot(id, 0, holder, 90_000, 50_000)) {
                        wins.incrementAndGet();
                    }
                }));
            }
            for (var f : futures) {
                f.get();
            }
            assertEquals(1, wins.get());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theGuardRefusesAnIdenticalExecution_namingTheHolder_untilTheHolderEnds() {
        Execution first = execution("out-guard");
        store.create(first);
        SluiceException refused = assertThrows(SluiceException.class, () -> store.create(execution("out-guard")));
        assertEquals("execution.identical_running", refused.code());
        assertTrue(refused.getMessage().contains(first.id()));
        store.create(execution("out-guard-elsewhere"));

        assertTrue(store.transition(first.projectId(), first.id(), Execution.State.ACTIVE, Execution.State.Cancelled,
                "by test", System.currentTimeMillis()));
        assertFalse(store.transition(first.projectId(), first.id(), Execution.State.ACTIVE, Execution.State.Failed,
                "too late", System.currentTimeMillis()), "a terminal execution never leaves its state");
        Execution second = execution("out-guard");
        store.create(second);
        assertTrue(store.active().stream().anyMatch(e -> e.id().equals(second.id())));
        assertFalse(store.active().stream().anyMatch(e -> e.id().equals(first.id())));
    }

    @Test
    void eightFilesProposingTheirSchemasAtOnce_allGetTheFirstStored_andItStaysWithTheExecution() throws Exception {
        Execution e = execution("out-schema");
        store.create(e);
        assertEquals(null, store.fixSchema(e.projectId(), e.id(), null), "no schema before the first file");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                String proposal = "{\"fixedBy\":\"part-" + w + ".csv\"}";
                answers.add(pool.submit(() -> store.fixSchema(e.projectId(), e.id(), proposal)));
            }
            String stored = answers.get(0).get();
            assertTrue(stored.matches("\\{\"fixedBy\":\"part-[0-7]\\.csv\"}"), stored);
            for (Future<String> answer : answers) {
                assertEquals(stored, answer.get(), "every file gets the one schema stored first");
            }
            assertEquals(stored, store.fixSchema(e.projectId(), e.id(), null));
            assertEquals(stored, store.fixSchema(e.projectId(), e.id(), "{\"fixedBy\":\"late.csv\"}"));
            assertEquals(Execution.State.Pending, store.get(e.projectId(), e.id()).orElseThrow().status().overview());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void eightWorkersSettlingTheSameFiles_countEachOnce_andTheExecutionFinishesOnExactCounters() throws Exception {
        Execution e = execution("out-race");
        store.create(e);
        assertTrue(store.startRunning(e.projectId(), e.id(), 20, System.currentTimeMillis()));
        List<Callable<Integer>> workers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            workers.add(() -> {
                int applied = 0;
                for (int i = 0; i < 20; i++) {
                    if (store.settleFile(e.projectId(), e.id(), file(i, i % 5 == 0 ? Execution.FileState.Failed
                            : Execution.FileState.Finished), System.currentTimeMillis())) {
                        applied++;
                    }
                }
                return applied;
            });
        }
        int applied = 0;
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            for (Future<Integer> f : pool.invokeAll(workers)) {
                applied += f.get();
            }
        }
        assertEquals(20, applied, "each file settled by exactly one worker");
        Execution.Status status = store.get(e.projectId(), e.id()).orElseThrow().status();
        assertEquals(16, status.finishedFiles());
        assertEquals(4, status.failedFiles());
        assertEquals(20, store.settledFiles(e.id(), 0, 20).size());
        assertEquals(List.of(5L, 6L, 7L), store.settledFiles(e.id(), 5, 8).stream().map(Execution.FileReport::index).toList());

        assertTrue(store.finishIfComplete(e.projectId(), e.id(), System.currentTimeMillis()));
        Execution.Status end = store.get(e.projectId(), e.id()).orElseThrow().status();
        assertEquals(Execution.State.Failed, end.overview());
        assertTrue(end.reason().startsWith("execution.files_failed: 4 of 20"), end.reason());
        assertEquals(0, end.skippedFiles());
    }

    @Test
    void aFileSettledAfterTheExecutionEnded_isSkipped_andTheCountersStayFinal() {
        Execution e = execution("out-ended");
        store.create(e);
        store.startRunning(e.projectId(), e.id(), 3, 2, System.currentTimeMillis());
        assertEquals(2L, store.get(e.projectId(), e.id()).orElseThrow().status().hiddenFiles(),
                "the hidden and marker files the listing skipped are kept on the execution");
        assertTrue(store.settleFile(e.projectId(), e.id(), file(0, Execution.FileState.Finished), System.currentTimeMillis()));
        assertTrue(store.transition(e.projectId(), e.id(), EnumSet.of(Execution.State.Running), Execution.State.Cancelled,
                "by test", System.currentTimeMillis()));
        assertTrue(store.settleFile(e.projectId(), e.id(), file(1, Execution.FileState.Finished), System.currentTimeMillis()));

        Execution.Status status = store.get(e.projectId(), e.id()).orElseThrow().status();
        assertEquals(1, status.finishedFiles());
        assertEquals(2, status.skippedFiles());
        assertEquals(Execution.FileState.Skipped, store.settledFiles(e.id(), 1, 2).get(0).status());
        assertFalse(store.finishIfComplete(e.projectId(), e.id(), System.currentTimeMillis()));
    }
}
