package dev.sluice.execution.fakes;

import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * An in-memory {@link ExecutionStore} with the DynamoDB adapter's contract ({@code DynamoExecutionStore}): create
 * takes the identical-execution guard or fails with {@code execution.identical_running}; a terminal transition (or
 * finishing) releases the guard; {@link #settleFile} writes a file's ledger row once and counts it only while the
 * execution is Running (a file settled after the end is recorded Skipped, uncounted); an ended execution reports its
 * files never settled as skipped; {@link #finishIfComplete} ends a Running execution whose every file is settled,
 * Finished or Failed (with {@code execution.files_failed}); the output schema is fixed by the first proposal.
 */
public final class FakeExecutionStore implements ExecutionStore {
    private static final class Stored {
        Execution doc;
        Execution.State state;
        String reason;
        Long totalFiles;
        Long hiddenFiles;
        long finished;
        long failed;
        long rows;
        long failedRows;
        Long startTime;
        Long endTime;
        long updateTime;
        String schema;
    }

    private final Map<String, Stored> executions = new LinkedHashMap<>();
    /** identity → the execution holding the guard. */
    private final Map<String, String> guards = new HashMap<>();
    /** execution id → settled files by index. */
    private final Map<String, TreeMap<Long, Execution.FileReport>> files = new HashMap<>();

    private static String key(String projectId, String id) {
        return projectId + "/" + id;
    }

    @Override
    public synchronized void create(Execution e) {
        String holder = guards.get(e.spec().identity());
        if (holder != null) {
            throw SluiceException.conflict("execution.identical_running", "execution " + holder + " with the same"
                    + " model, build, source folder and destination folder is running; wait for it to end or cancel it");
        }
        if (executions.containsKey(key(e.projectId(), e.id()))) {
            throw new IllegalStateException("execution " + e.id() + " exists");
        }
        Stored s = new Stored();
        s.doc = e;
        s.state = e.status().overview();
        s.updateTime = e.updateTime();
        executions.put(key(e.projectId(), e.id()), s);
        guards.put(e.spec().identity(), e.id());
    }

    private static Execution view(Stored s) {
        long skipped = s.state.isTerminal() && s.totalFiles != null ? s.totalFiles - s.finished - s.failed : 0;
        Execution d = s.doc;
        return new Execution(d.id(), d.object(), d.projectId(), d.spec(), new Execution.Status(s.state, s.reason,
                s.totalFiles, s.finished, s.failed, skipped, s.startTime, s.endTime, s.hiddenFiles, s.rows, s.failedRows),
                d.createTime(), s.updateTime,
                d.metadata());
    }

    @Override
    public synchronized Optional<Execution> get(String projectId, String id) {
        Stored s = executions.get(key(projectId, id));
        return s == null ? Optional.empty() : Optional.of(view(s));
    }

    @Override
    public synchronized Page<Execution> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return new Page<>(executions.values().stream().filter(s -> s.doc.projectId().equals(projectId))
                .map(FakeExecutionStore::view).filter(e -> e.listedBy(filter)).limit(page.limit()).toList(), null, null);
    }

    @Override
    public synchronized boolean startRunning(String projectId, String id, long totalFiles, long now) {
        return startRunning(projectId, id, totalFiles, 0, now);
    }

    @Override
    public synchronized boolean startRunning(String projectId, String id, long totalFiles, long hiddenFiles, long now) {
        Stored s = executions.get(key(projectId, id));
        if (s == null || s.state != Execution.State.Pending) {
            return false;
        }
        s.hiddenFiles = hiddenFiles;
        s.state = Execution.State.Running;
        s.totalFiles = totalFiles;
        s.startTime = now;
        s.updateTime = now;
        return true;
    }

    @Override
    public synchronized boolean transition(String projectId, String id, Set<Execution.State> from, Execution.State to,
                                           String reason, long now) {
        Stored s = executions.get(key(projectId, id));
        if (s == null || !from.contains(s.state)) {
            return false;
        }
        s.state = to;
        s.updateTime = now;
        if (reason != null) {
            s.reason = reason;
        }
        if (to.isTerminal()) {
            s.endTime = now;
            guards.remove(s.doc.spec().identity(), s.doc.id());
        }
        return true;
    }

    @Override
    public synchronized boolean settleFile(String projectId, String id, Execution.FileReport file, long now) {
        TreeMap<Long, Execution.FileReport> settled = files.computeIfAbsent(id, k -> new TreeMap<>());
        if (settled.containsKey(file.index())) {
            return false;
        }
        Stored s = executions.get(key(projectId, id));
        if (file.status() != Execution.FileState.Skipped && (s == null || s.state != Execution.State.Running)) {
            return settleFile(projectId, id, new Execution.FileReport(file.index(), file.file(), null,
                    Execution.FileState.Skipped, null, null, file.startTime(), file.timeMs(), "execution.ended: the execution"
                    + " ended before this file was settled" + (file.reason() == null ? "" : " (" + file.reason() + ")")), now);
        }
        settled.put(file.index(), file);
        if (file.status() != Execution.FileState.Skipped && file.rows() != null) {
            s.rows += file.rows();
            s.failedRows += file.failedRows() == null ? 0 : file.failedRows();
        }
        if (file.status() == Execution.FileState.Finished) {
            s.finished++;
            s.updateTime = now;
        } else if (file.status() == Execution.FileState.Failed) {
            s.failed++;
            s.updateTime = now;
        }
        return true;
    }

    @Override
    public synchronized List<Execution.FileReport> settledFiles(String id, long fromIndex, long toIndex) {
        if (toIndex <= fromIndex) {
            return List.of();
        }
        return new ArrayList<>(files.getOrDefault(id, new TreeMap<>()).subMap(fromIndex, toIndex).values());
    }

    @Override
    public synchronized boolean finishIfComplete(String projectId, String id, long now) {
        Stored s = executions.get(key(projectId, id));
        if (s == null || s.state != Execution.State.Running || s.totalFiles == null
                || s.finished + s.failed != s.totalFiles) {
            return false;
        }
        s.state = s.failed == 0 ? Execution.State.Finished : Execution.State.Failed;
        if (s.failed > 0) {
            s.reason = "execution.files_failed: " + s.failed + " of " + s.totalFiles + " files failed; see the report";
        }
        s.endTime = now;
        s.updateTime = now;
        guards.remove(s.doc.spec().identity(), s.doc.id());
        return true;
    }

    @Override
    public synchronized String fixSchema(String projectId, String id, String proposal) {
        Stored s = executions.get(key(projectId, id));
        if (proposal == null) {
            return s == null ? null : s.schema;
        }
        if (s == null) {
            throw new IllegalStateException("execution " + id + " does not exist");
        }
        if (s.schema == null) {
            s.schema = proposal;
        }
        return s.schema;
    }

    @Override
    public synchronized List<Execution> active() {
        return executions.values().stream().filter(s -> !s.state.isTerminal()).map(FakeExecutionStore::view).toList();
    }

    /** Who holds the guard of this identity, or null. */
    public synchronized String guardHolder(String identity) {
        return guards.get(identity);
    }

    private record Lease(String holder, long until) {
    }

    private final Map<String, Lease> slots = new HashMap<>();

    @Override
    public synchronized boolean takeSlot(String executionId, int slot, String holder, long untilMillis, long now) {
        Lease l = slots.get(executionId + "#" + slot);
        if (l != null && !l.holder().equals(holder) && l.until() >= now) {
            return false;
        }
        slots.put(executionId + "#" + slot, new Lease(holder, untilMillis));
        return true;
    }

    @Override
    public synchronized void releaseSlot(String executionId, int slot, String holder) {
        slots.computeIfPresent(executionId + "#" + slot, (k, l) -> l.holder().equals(holder) ? null : l);
    }
}
