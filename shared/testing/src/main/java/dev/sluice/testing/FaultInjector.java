package dev.sluice.testing;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.local.LocalEventSource;
import dev.sluice.local.StageWrapper;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes any stage fail on cue, the ways Lambda and SQS fail in production. Each invocation of a stage may be hit by
 * the next fault kind still owed to that stage (chosen with a seeded random, so a run can be repeated), until every
 * kind was injected {@code perKind} times; no message is hit more than {@link #MAX_FAULTS_PER_MESSAGE} times, so
 * faults alone never push a message to its DLQ (maxReceiveCount is 5).
 *
 * <ul>
 *   <li>{@link Kind#THROW_MID_BATCH}: the first half of the messages is handled, then the invocation throws, so the
 *   whole batch comes back (for a single message, the throw comes before any work).</li>
 *   <li>{@link Kind#DIE_AFTER_SIDE_EFFECT}: the whole batch is handled, then the invocation dies before it
 *   acknowledges anything.</li>
 *   <li>{@link Kind#TIMEOUT}: the handler runs with {@value #TIMEOUT_MILLIS} ms left on its clock and the invocation
 *   is cut off then, as Lambda does; the abandoned handler keeps running beside the redelivery, like a frozen
 *   environment that thaws.</li>
 *   <li>{@link Kind#PARTIAL_FAILURE}: the batch is handled, and the response also reports its first message as
 *   failed, so a message whose work is done is redelivered.</li>
 *   <li>{@link Kind#REDELIVER}: the same batch is handled twice, as SQS's at-least-once delivery allows.</li>
 * </ul>
 * The scheduler's sweep is not an SQS consumer: it can throw before sweeping, die after sweeping, or run twice at once.
 */
public final class FaultInjector implements StageWrapper {
    public enum Kind { THROW_MID_BATCH, DIE_AFTER_SIDE_EFFECT, TIMEOUT, PARTIAL_FAILURE, REDELIVER }

    public static final int MAX_FAULTS_PER_MESSAGE = 2;
    static final long TIMEOUT_MILLIS = 300;
    private static final List<Kind> SWEEP_KINDS = List.of(Kind.THROW_MID_BATCH, Kind.DIE_AFTER_SIDE_EFFECT, Kind.REDELIVER);
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);
    /**
     * Where an abandoned handler (TIMEOUT) and the scheduler's twin sweep run: a thread of their own each, never
     * ForkJoinPool.commonPool(). The JDK's HttpClient completes every sendAsync in the common pool (its
     * {@code ASYNC_POOL}), whose parallelism is processors - 1: one thread on a 2-core machine. A handler blocking
     * there (waiting for its own item fetches) held every HTTP exchange of the process until their deadlines: item
     * fetches failed {@code gather.timeout} and webhook POSTs timed out while both servers sat idle
     * (FaultInjectionTest's intermittent failures; seen in a thread dump of the stalled run).
     */
    private static final java.util.concurrent.Executor OWN_THREADS =
            task -> Thread.ofPlatform().name("fault-injector-", 0).daemon(true).start(task);

    /** Thrown in place of a crash; the event source treats it as a failed invocation. */
    public static final class InjectedFault extends RuntimeException {
        InjectedFault(String message) {
            super(message, null, false, false);
        }
    }

    private final int perKind;
    private final double probability;
    private final Random random;
    private final Map<Stage, Map<Kind, AtomicInteger>> injected = new EnumMap<>(Stage.class);
    private final Map<String, AtomicInteger> faultsPerMessage = new ConcurrentHashMap<>();

    /**
     * @param perKind     how many faults of each kind each stage gets
     * @param probability the chance that an eligible invocation is hit
     */
    public FaultInjector(int perKind, double probability, long seed) {
        this.perKind = perKind;
        this.probability = probability;
        this.random = new Random(seed);
        for (Stage stage : Stage.values()) {
            Map<Kind, AtomicInteger> counts = new EnumMap<>(Kind.class);
            for (Kind kind : kindsOf(stage)) {
                counts.put(kind, new AtomicInteger());
            }
            injected.put(stage, counts);
        }
    }

    public static List<Kind> kindsOf(Stage stage) {
        return stage == Stage.SCHEDULER ? SWEEP_KINDS : List.of(Kind.values());
    }

    /** The faults injected so far, per stage and kind. */
    public Map<Stage, Map<Kind, Integer>> injected() {
        Map<Stage, Map<Kind, Integer>> copy = new EnumMap<>(Stage.class);
        injected.forEach((stage, counts) -> {
            Map<Kind, Integer> c = new EnumMap<>(Kind.class);
            counts.forEach((k, v) -> c.put(k, v.get()));
            copy.put(stage, c);
        });
        return copy;
    }

    public int total() {
        return injected.values().stream().flatMap(m -> m.values().stream()).mapToInt(AtomicInteger::get).sum();
    }

    /** True once every stage got every kind that applies to it perKind times. */
    public boolean complete() {
        return injected.values().stream().flatMap(m -> m.values().stream()).allMatch(c -> c.get() >= perKind);
    }

    /** The next kind this stage still owes, or null: the invocation runs clean. */
    private synchronized Kind draw(Stage stage, List<String> bodies) {
        if (random.nextDouble() >= probability) {
            return null;
        }
        if (bodies.stream().anyMatch(b -> faultsPerMessage.computeIfAbsent(b, x -> new AtomicInteger()).get()
                >= MAX_FAULTS_PER_MESSAGE)) {
            return null;
        }
        List<Kind> owed = new ArrayList<>();
        injected.get(stage).forEach((kind, count) -> {
            if (count.get() < perKind) {
                owed.add(kind);
            }
        });
        if (owed.isEmpty()) {
            return null;
        }
        Kind kind = owed.get(random.nextInt(owed.size()));
        injected.get(stage).get(kind).incrementAndGet();
        bodies.forEach(b -> faultsPerMessage.get(b).incrementAndGet());
        LOG.info("injecting {} into {} ({} messages)", kind, stage, bodies.size());
        return kind;
    }

    @Override
    public RequestHandler<SQSEvent, SQSBatchResponse> wrap(Stage stage, RequestHandler<SQSEvent, SQSBatchResponse> real) {
        return (event, context) -> {
            Kind kind = draw(stage, event.getRecords().stream().map(SQSEvent.SQSMessage::getBody).toList());
            if (kind == null) {
                return real.handleRequest(event, context);
            }
            return switch (kind) {
                case THROW_MID_BATCH -> {
                    List<SQSEvent.SQSMessage> records = event.getRecords();
                    if (records.size() > 1) {
                        real.handleRequest(eventOf(records.subList(0, records.size() / 2)), context);
                    }
                    throw new InjectedFault("injected: " + stage + " threw mid-batch");
                }
                case DIE_AFTER_SIDE_EFFECT -> {
                    real.handleRequest(event, context);
                    throw new InjectedFault("injected: " + stage + " died after its side effects, before acknowledging");
                }
                case TIMEOUT -> {
                    Context shortOfTime = new LocalEventSource.LocalContext(TIMEOUT_MILLIS);
                    CompletableFuture<SQSBatchResponse> running =
                            CompletableFuture.supplyAsync(() -> real.handleRequest(event, shortOfTime), OWN_THREADS);
                    try {
                        running.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                    } catch (Exception ignored) {
                        // cut off at the timeout, or done in time: either way Lambda reports a timeout here
                    }
                    throw new InjectedFault("injected: " + stage + " timed out after " + TIMEOUT_MILLIS + " ms");
                }
                case PARTIAL_FAILURE -> {
                    SQSBatchResponse response = real.handleRequest(event, context);
                    List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>(
                            response == null || response.getBatchItemFailures() == null ? List.of() : response.getBatchItemFailures());
                    String first = event.getRecords().get(0).getMessageId();
                    if (failures.stream().noneMatch(f -> first.equals(f.getItemIdentifier()))) {
                        failures.add(new SQSBatchResponse.BatchItemFailure(first));
                    }
                    yield new SQSBatchResponse(failures);
                }
                case REDELIVER -> {
                    SQSBatchResponse first = real.handleRequest(event, context);
                    real.handleRequest(event, context);
                    yield first;
                }
            };
        };
    }

    @Override
    public Runnable wrapSweep(Runnable sweep) {
        return () -> {
            Kind kind = draw(Stage.SCHEDULER, List.of());
            if (kind == null) {
                sweep.run();
                return;
            }
            switch (kind) {
                case THROW_MID_BATCH -> throw new InjectedFault("injected: the scheduler failed before sweeping");
                case DIE_AFTER_SIDE_EFFECT -> {
                    sweep.run();
                    throw new InjectedFault("injected: the scheduler died after sweeping");
                }
                default -> {
                    CompletableFuture<Void> twin = CompletableFuture.runAsync(sweep, OWN_THREADS);
                    sweep.run();
                    twin.join();
                }
            }
        };
    }

    private static SQSEvent eventOf(List<SQSEvent.SQSMessage> records) {
        SQSEvent event = new SQSEvent();
        event.setRecords(new ArrayList<>(records));
        return event;
    }
}
