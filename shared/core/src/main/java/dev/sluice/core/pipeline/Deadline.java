package dev.sluice.core.pipeline;

/** Time left in the current invocation (Lambda's Context.getRemainingTimeInMillis). */
@FunctionalInterface
public interface Deadline {
    long remainingMillis();
}
