package dev.sluice.execution;

import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Executions, their file counters, the exactly-once ledger of their files, and the identical-execution guard. */
public interface ExecutionStore {
    /**
     * Writes a Pending execution and takes the guard of its {@link Execution.Spec#identity()} in one conditional
     * write; throws a conflict naming the execution that holds the guard.
     */
    void create(Execution execution);

    Optional<Execution> get(String projectId, String id);

    default Page<Execution> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** The project's executions the filter lists, newest first; memory holds one page; cursors are bound to the filter. */
    Page<Execution> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter);

    /** Pending → Running with the number of files listed; false when the execution was no longer Pending. */
    boolean startRunning(String projectId, String id, long totalFiles, long now);

    /** {@link #startRunning(String, String, long, long)}, also keeping how many hidden files the listing skipped. */
    boolean startRunning(String projectId, String id, long totalFiles, long hiddenFiles, long now);

    /** Conditional state change; a terminal state releases the guard. False when the state was not in {@code from}. */
    boolean transition(String projectId, String id, Set<Execution.State> from, Execution.State to, String reason,
                       long now);

    /**
     * Records a file's terminal outcome and counts it, once: false when the file had been settled before (a
     * redelivered task).
     */
    boolean settleFile(String projectId, String id, Execution.FileReport file, long now);

    /** The settled files with fromIndex <= index < toIndex, in index order. */
    List<Execution.FileReport> settledFiles(String id, long fromIndex, long toIndex);

    /**
     * A Running execution whose every file is settled becomes Finished (no file failed) or Failed, conditional on the
     * counters it read; false when it is not complete or changed meanwhile.
     */
    boolean finishIfComplete(String projectId, String id, long now);

    /**
     * The execution's output schema (JSON of {@link OutputSchema}): stores
     * {@code proposal} when none is stored yet (one conditional write, so concurrent files agree on the first) and
     * returns the stored one; a null proposal only reads it (null when none is stored).
     */
    String fixSchema(String projectId, String id, String proposal);

    /**
     * Leases slot {@code slot} (0 ≤ slot &lt; compute.tasks) of the execution to {@code holder} until {@code untilMillis}:
     * one conditional write that succeeds when the slot is free, its lease expired ({@code now} is past it), or the
     * holder already has it (renewal). So at most tasks files of an execution run at once, whatever the deliveries; a
     * worker that died frees its slot when its lease expires.
     */
    boolean takeSlot(String executionId, int slot, String holder, long untilMillis, long now);

    /** Frees the slot if the holder still has it (a conditional delete; nothing when another holds it). */
    void releaseSlot(String executionId, int slot, String holder);

    /** The executions that are not terminal, over every project (the scheduler's sweep). */
    List<Execution> active();
}
