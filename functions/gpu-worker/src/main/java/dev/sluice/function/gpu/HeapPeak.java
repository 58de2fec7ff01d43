package dev.sluice.function.gpu;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The most heap this JVM has had in use, in bytes: the heap pools' use just before each garbage collection (what
 * {@code -Xlog:gc} prints as a pause's "before"), and the use now. Between two collections the heap in use only grows,
 * so the largest of these is the peak. A pool worker logs it with each file it settles, the way its memory bound
 * ({@code -Xmx}, the task's memory on ECS) is checked from outside without a GC log (issue 27: a file several times
 * the heap streams through the worker).
 */
final class HeapPeak {
    private static final AtomicLong PEAK = new AtomicLong();
    private static final Set<String> HEAP_POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());

    static {
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter emitter) {
                emitter.addNotificationListener((notification, handback) -> {
                    if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                        var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                        long before = info.getGcInfo().getMemoryUsageBeforeGc().entrySet().stream()
                                .filter(e -> HEAP_POOLS.contains(e.getKey()))
                                .mapToLong(e -> e.getValue().getUsed()).sum();
                        PEAK.accumulateAndGet(before, Math::max);
                    }
                }, null, null);
            }
        }
    }

    private HeapPeak() {
    }

    /** Starts watching the collections (from the first call on: call it as the process starts). */
    static void watch() {
        // the static initialiser has registered the listeners
    }

    /** The peak so far, in bytes. */
    static long bytes() {
        return PEAK.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
    }

    /** The peak so far, in MiB (rounded up). */
    static long mebibytes() {
        return (bytes() + (1 << 20) - 1) >> 20;
    }
}
