package dev.sluice.core.observe;

import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;

/**
 * Ids put in the MDC for the time of one message (a batch, a request, a file task) and taken out when it ends, so a
 * line never carries the ids of the message handled before it on the same thread:
 * <pre>{@code try (LogScope scope = LogScope.of(LogKey.JOB_ID, job.id()).and(LogKey.BATCH_ID, batch.batchId())) { ... }}</pre>
 * Closing restores what each key held before (scopes nest: a batch inside an invocation). A null value leaves the key
 * out. Values are ids only, never payloads, URLs or secrets. Worker threads get the scope through
 * {@link ContextExecutors}.
 */
public final class LogScope implements AutoCloseable {
    private final List<String> keys = new ArrayList<>(4);
    private final List<String> previous = new ArrayList<>(4);

    private LogScope() {
    }

    /** A scope holding this key (nothing when value is null). */
    public static LogScope of(LogKey key, Object value) {
        return new LogScope().and(key, value);
    }

    /** Adds a key to this scope (nothing when value is null); returns this scope. */
    public LogScope and(LogKey key, Object value) {
        if (value != null) {
            keys.add(key.key());
            previous.add(MDC.get(key.key()));
            MDC.put(key.key(), String.valueOf(value));
        }
        return this;
    }

    /** Restores each key to what it held before this scope, last in first out. */
    @Override
    public void close() {
        for (int i = keys.size() - 1; i >= 0; i--) {
            if (previous.get(i) == null) {
                MDC.remove(keys.get(i));
            } else {
                MDC.put(keys.get(i), previous.get(i));
            }
        }
        keys.clear();
        previous.clear();
    }
}
