package dev.sluice.core.usage;

import org.slf4j.MDC;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where a process counts what its work for each job and execution uses, until a write that happens anyway (the
 * stage commit's counter update, the finish) adds it to the owner's record with DynamoDB's atomic {@code ADD}: no
 * read-modify-write and no request of its own.
 *
 * <p>A use is counted to the owner named by the MDC of the thread that made it ({@code job_id}, else
 * {@code execution_id}: {@link dev.sluice.core.observe.LogScope}), when that thread works inside an open
 * {@linkplain #open invocation}; a use inside an invocation that names no owner (a transaction or a SendMessageBatch
 * for all of the invocation's batches) goes to the invocation's own account, which is split over the invocation's
 * owners in proportion to their messages when one of them is {@linkplain #drain drained} or the invocation closes.
 * Uses outside any invocation (the API serving a request, the scheduler's sweep, an empty poll) are not counted; an
 * event source that counts its own requests ({@code sluice local}'s) adds each one to the jobs of the messages it
 * carried ({@link #recordFor}).
 *
 * <p>Memory: one small entry per owner with uses not yet written (at most {@value #MAX_PENDING_OWNERS}: past that,
 * the owner written to longest ago is forgotten, typically an ended job's remainder), and one per open invocation.
 * Thread-safe.
 */
public final class UsageMeter {
    /** The MDC key naming the invocation a thread works for (not a log key: log lines print only LogKeys). */
    static final String INVOCATION = "usage_invocation";
    /**
     * Owners with counts not written yet that one process keeps at most (a few hundred bytes each): what a job's
     * last write in this process leaves is kept for its next write here, which may never come; past this many, the
     * owner added to longest ago is forgotten (a job that ended or moved on to other processes), never a new one.
     */
    static final int MAX_PENDING_OWNERS = 10_000;
    private static final UsageMeter PROCESS = new UsageMeter();

    /** Owners' counts not written yet, least recently added to first. Guarded by itself. */
    private final java.util.LinkedHashMap<String, Usage> pending = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Usage> eldest) {
            return size() > MAX_PENDING_OWNERS;
        }
    };
    private final Map<String, Invocation> invocations = new ConcurrentHashMap<>();

    /** The process's meter: the one the SDK interceptor and the stores share (one per JVM, like its MDC). */
    public static UsageMeter process() {
        return PROCESS;
    }

    /** What compute runs this process's invocations, and at what size: how an invocation's time is billed. */
    public sealed interface Compute {
        /** The usage of an invocation that took this long. */
        Usage of(long millis);

        /** A Lambda function with this much memory (MB): MB·ms. */
        record Lambda(int memoryMb) implements Compute {
            @Override
            public Usage of(long millis) {
                return Usage.lambda(millis * memoryMb);
            }
        }

        /** An ECS task of the GPU pool: task milliseconds. */
        record GpuTask() implements Compute {
            @Override
            public Usage of(long millis) {
                return Usage.gpuTask(millis);
            }
        }

        /** An ECS task of the CPU pool: task milliseconds. */
        record CpuTask() implements Compute {
            @Override
            public Usage of(long millis) {
                return Usage.cpuTask(millis);
            }
        }
    }

    /**
     * Opens an invocation on this thread (and on the worker threads that carry its MDC) whose event source's requests
     * are not seen by this process (Lambda's event source mapping): it starts with {@link #eventSourceRequests}.
     *
     * @see #open(Map, Compute, long)
     */
    public Invocation open(Map<String, Long> owners, Compute compute) {
        return open(owners, compute, eventSourceRequests(owners.values().stream().mapToLong(Long::longValue).sum()));
    }

    /**
     * The SQS requests Lambda's event source mapping makes for an invocation of this many messages, which no code of
     * ours sees: the ReceiveMessage calls that brought them and the DeleteMessageBatch calls that remove them, up to
     * 10 messages each (SQS's limit for both, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html).
     * Empty polls between invocations are a cost of the deployment, not of a job: not counted.
     */
    public static long eventSourceRequests(long messages) {
        return 2 * ((messages + 9) / 10);
    }

    /**
     * Opens an invocation on this thread (and on the worker threads that carry its MDC): until it closes, uses are
     * counted. It starts with {@code eventSourceRequests} SQS requests made for it that no code of this process sees
     * (0 when the event source counts its own, {@link #recordFor}); each {@link #drain} and the close charge the
     * invocation's time on {@code compute} since the last charge, and split what no owner claimed.
     *
     * @param owners the job or execution ids of the invocation's messages, each with its number of messages
     */
    public Invocation open(Map<String, Long> owners, Compute compute, long eventSourceRequests) {
        Invocation invocation = new Invocation(java.util.UUID.randomUUID().toString(),
                java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(owners)), compute,
                System.nanoTime(), MDC.get(INVOCATION));
        // known now: so the invocation's first write carries them
        invocation.unclaimed.merge("", Usage.sqs(eventSourceRequests), Usage::plus);
        invocations.put(invocation.id, invocation);
        MDC.put(INVOCATION, invocation.id);
        return invocation;
    }

    /** Counts a use to the thread's owner or invocation; outside an invocation, nothing is counted. */
    public void record(Usage use) {
        if (use.isZero()) {
            return;
        }
        Invocation invocation = current();
        if (invocation == null) {
            return;
        }
        String owner = MDC.get("job_id");
        if (owner == null) {
            owner = MDC.get("execution_id");
        }
        if (owner != null) {
            add(owner, use);
        } else {
            invocation.unclaimed.merge("", use, Usage::plus);
        }
    }

    /**
     * The owners of the invocation this thread works inside, each with its number of messages (what a use that names
     * no owner is split by); empty outside an invocation. Tests and the bench attribute requests with it.
     */
    public Map<String, Long> owners() {
        Invocation invocation = current();
        return invocation == null ? Map.of() : invocation.owners;
    }

    /** Whether this thread works inside an open invocation: whether what it uses now is counted. */
    public boolean counting() {
        return current() != null;
    }

    /**
     * Counts a use made for several owners outside any invocation, split in proportion to their weights
     * ({@link Usage#split}, exact): an event source's receive of messages of several jobs, by message; its deletes
     * and visibility changes, by the messages they name.
     */
    public void recordFor(Map<String, Long> owners, Usage use) {
        if (!use.isZero()) {
            use.split(owners).forEach(this::add);
        }
    }

    /**
     * Runs work whose requests count to no owner, even inside an invocation: a project's daily usage sum, which is
     * the project's bookkeeping, not a job's work (README "Usage and cost").
     */
    public <T> T uncounted(java.util.function.Supplier<T> work) {
        String invocation = MDC.get(INVOCATION);
        MDC.remove(INVOCATION);
        try {
            return work.get();
        } finally {
            if (invocation != null) {
                MDC.put(INVOCATION, invocation);
            }
        }
    }

    /**
     * Takes what the owner used and was not written yet (after splitting the current invocation's unclaimed uses),
     * for a write that adds it. When that write fails, {@link #giveBack} it.
     */
    public Usage drain(String owner) {
        Invocation invocation = current();
        if (invocation != null) {
            invocation.settle(this);
        }
        Usage taken;
        synchronized (pending) {
            taken = pending.remove(owner);
        }
        return taken == null ? Usage.ZERO : taken;
    }

    /** Puts back what a write that failed did not add. */
    public void giveBack(String owner, Usage use) {
        add(owner, use);
    }

    private void add(String owner, Usage use) {
        if (!use.isZero()) {
            synchronized (pending) {
                pending.merge(owner, use, Usage::plus);
            }
        }
    }

    /**
     * What the owner used and was not written yet (tests and the bench): once the pipeline is idle, the remainder
     * no write of the owner carried (its last write's own units and what followed it in this process).
     */
    public Usage pending(String owner) {
        synchronized (pending) {
            Usage u = pending.get(owner);
            return u == null ? Usage.ZERO : u;
        }
    }

    private Invocation current() {
        String id = MDC.get(INVOCATION);
        return id == null ? null : invocations.get(id);
    }

    /** One open invocation; close it on the thread that opened it. */
    public final class Invocation implements AutoCloseable {
        private final String id;
        private final Map<String, Long> owners;
        private final Compute compute;
        /** Up to when the invocation's time was charged (its start, then each write that took its share). */
        private long chargedNanos;
        private final String outer;
        private final Map<String, Usage> unclaimed = new ConcurrentHashMap<>();

        private Invocation(String id, Map<String, Long> owners, Compute compute, long startNanos, String outer) {
            this.id = id;
            this.owners = owners;
            this.compute = compute;
            this.chargedNanos = startNanos;
            this.outer = outer;
        }

        /** Charges the time since the last charge, then splits what no owner claimed over the owners. */
        private synchronized void settle(UsageMeter meter) {
            long now = System.nanoTime();
            unclaimed.merge("", compute.of((now - chargedNanos) / 1_000_000), Usage::plus);
            chargedNanos += (now - chargedNanos) / 1_000_000 * 1_000_000;
            Usage all = unclaimed.remove("");
            if (all != null && !owners.isEmpty()) {
                all.split(owners).forEach((owner, part) -> meter.giveBack(owner, part));
            }
        }

        @Override
        public void close() {
            settle(UsageMeter.this);
            invocations.remove(id);
            if (outer == null) {
                MDC.remove(INVOCATION);
            } else {
                MDC.put(INVOCATION, outer);
            }
        }
    }
}
