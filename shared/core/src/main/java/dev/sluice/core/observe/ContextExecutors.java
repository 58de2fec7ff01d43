package dev.sluice.core.observe;

import org.slf4j.MDC;

import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Executors whose tasks run with the MDC of the thread that submitted them (the job, batch and request ids of
 * {@link LogScope}), and with their own MDC cleared after them, so a pooled or virtual worker thread logs the ids of
 * the message it works for and never those of an earlier one.
 */
public final class ContextExecutors {
    private ContextExecutors() {
    }

    /** The executor, its tasks carrying their submitter's MDC. Shutting it down shuts the delegate down. */
    public static ExecutorService carryingContext(ExecutorService delegate) {
        return new Carrying(delegate);
    }

    /** The task, run with the MDC the caller has now. */
    public static Runnable wrap(Runnable task) {
        Map<String, String> context = MDC.getCopyOfContextMap();
        return () -> {
            Map<String, String> before = MDC.getCopyOfContextMap();
            if (context == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(context);
            }
            try {
                task.run();
            } finally {
                if (before == null) {
                    MDC.clear();
                } else {
                    MDC.setContextMap(before);
                }
            }
        };
    }

    private static final class Carrying extends AbstractExecutorService {
        private final ExecutorService delegate;

        Carrying(ExecutorService delegate) {
            this.delegate = delegate;
        }

        @Override
        public void execute(Runnable command) {
            delegate.execute(wrap(command));
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public List<Runnable> shutdownNow() {
            return delegate.shutdownNow();
        }

        @Override
        public boolean isShutdown() {
            return delegate.isShutdown();
        }

        @Override
        public boolean isTerminated() {
            return delegate.isTerminated();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            return delegate.awaitTermination(timeout, unit);
        }
    }
}
