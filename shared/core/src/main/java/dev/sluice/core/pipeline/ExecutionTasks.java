package dev.sluice.core.pipeline;

/**
 * What the pipeline's shared parts need of storage executions, which live in their own module
 * ({@code shared/executions}, whose {@code ExecutionService} implements this): the scheduler's periodic sweep and the
 * dead-letter drain reach executions only through it, so the core never depends on the executions module.
 */
public interface ExecutionTasks {
    /**
     * Ends the executions whose jobTimeout passed (TimedOut) and finishes those whose every file is settled.
     *
     * @return how many executions the sweep ended
     */
    int sweep();

    /**
     * A task that failed on every attempt (dead-lettered): a file task's file fails and the execution moves on; a
     * listing task fails its execution. Safe to call again for the same task (the file ledger settles a file once).
     *
     * @param reason why the task failed, recorded in the execution's report
     */
    void abandon(ExecutionTask task, String reason);
}
