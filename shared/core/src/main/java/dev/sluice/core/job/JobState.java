package dev.sluice.core.job;

import java.util.EnumSet;
import java.util.Set;

/** {@code status.overview} of a job. A terminal job never leaves its state. */
public enum JobState {
    Waiting, Running, Finished, Cancelled, TimedOut, Failed;

    public static final Set<JobState> TERMINAL = EnumSet.of(Finished, Cancelled, TimedOut, Failed);

    public boolean isTerminal() {
        return TERMINAL.contains(this);
    }
}
