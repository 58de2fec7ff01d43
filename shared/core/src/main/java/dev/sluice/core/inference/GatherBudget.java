package dev.sluice.core.inference;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The bytes of gathered items a worker may hold at once, across every batch of its calls (issue 21 item 10: a call
 * of 10 batches x 256 items x 32 MiB would otherwise hold up to 80 GiB). An item reserves the item size cap before
 * its fetch (its size is unknown until it has arrived), keeps what it received, and gives the rest back; a call gives
 * back all its items' bytes when it ends (its batches hold them until then). An item that cannot reserve within its
 * fetch deadline fails {@code gather.too_large}: the worker never runs out of memory for gathered bytes.
 *
 * <p>The budget is {@value #HEAP_PERCENT}% of the JVM's maximum heap by default ({@link #ofHeap()}): the rest is left
 * for decoding (an image decoded is about 3 bytes per pixel), tensors and the model.
 */
public final class GatherBudget {
    /** Share of the maximum heap that gathered bytes may take. */
    public static final int HEAP_PERCENT = 40;

    private final long capacity;
    private long held;
    private final ReentrantLock lock = new ReentrantLock(true); // fair: the first to wait is the first served
    private final Condition freed = lock.newCondition();

    /** @param capacity bytes of gathered items held at once; positive */
    public GatherBudget(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive, is " + capacity);
        }
        this.capacity = capacity;
    }

    /** {@value #HEAP_PERCENT}% of {@link Runtime#maxMemory()}. */
    public static GatherBudget ofHeap() {
        return new GatherBudget(Runtime.getRuntime().maxMemory() / 100 * HEAP_PERCENT);
    }

    public long capacity() {
        return capacity;
    }

    /** Bytes reserved now. */
    public long held() {
        lock.lock();
        try {
            return held;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Reserves {@code bytes}, waiting at most {@code timeoutNanos} for others to give bytes back.
     *
     * @return false when they did not become free in time (or are more than the capacity)
     */
    boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
        if (bytes > capacity) {
            return false;
        }
        long nanos = timeoutNanos;
        lock.lockInterruptibly();
        try {
            while (held + bytes > capacity) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = freed.awaitNanos(nanos);
            }
            held += bytes;
            return true;
        } finally {
            lock.unlock();
        }
    }

    void release(long bytes) {
        if (bytes <= 0) {
            return;
        }
        lock.lock();
        try {
            held -= bytes;
            freed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reservations of one call: given back together when the call ends ({@link #close()}). */
    final class Call implements AutoCloseable {
        private long reserved;
        private boolean closed;

        /** Reserves for one item; false when the budget stayed full for {@code timeoutNanos}. */
        boolean reserve(long bytes, long timeoutNanos) throws InterruptedException {
            if (!GatherBudget.this.reserve(bytes, timeoutNanos)) {
                return false;
            }
            synchronized (this) {
                if (!closed) {
                    reserved += bytes;
                    return true;
                }
            }
            GatherBudget.this.release(bytes); // a fetch still running after its call ended holds nothing
            return false;
        }

        /** Gives back part of an item's reservation (what it did not use, or all of it when it failed). */
        void giveBack(long bytes) {
            synchronized (this) {
                if (closed) {
                    return;
                }
                reserved -= bytes;
            }
            GatherBudget.this.release(bytes);
        }

        @Override
        public void close() {
            long all;
            synchronized (this) {
                closed = true;
                all = reserved;
                reserved = 0;
            }
            GatherBudget.this.release(all);
        }
    }

    Call openCall() {
        return new Call();
    }
}
