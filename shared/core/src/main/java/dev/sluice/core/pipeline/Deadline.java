package dev.sluice.core.pipeline;

/** Time left in the current invocation (Lambda's Context.getRemainingTimeInMillis). */
@FunctionalInterface
public interface Deadline {
    /** No limit: a worker that is not cut off (the GPU pool's tasks drain on SIGTERM instead). */
    Deadline NONE = () -> Long.MAX_VALUE;

    long remainingMillis();
}
