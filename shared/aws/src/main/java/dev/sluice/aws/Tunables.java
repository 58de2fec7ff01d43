package dev.sluice.aws;

import java.time.Duration;
import java.util.Map;

/**
 * The tunables of the pipeline: sizes and times an operator may change without a build, each with a default that is
 * what Sluice ran with before they were settable. The functions read them from their environment
 * ({@link #fromEnv}); `sluice local` and the tests pass them in. README's "Configuration" lists them.
 *
 * @param maxItemBytes        the size cap of one item, bytes ({@code SLUICE_MAX_ITEM_BYTES}); a larger item fails
 *                            with {@code gather.too_large}
 * @param itemConnectTimeout  the TCP/TLS connect of one attempt to fetch an {@code http(s)://} item
 *                            ({@code SLUICE_ITEM_CONNECT_TIMEOUT_MS})
 * @param itemDeadline        the whole fetch of one item over HTTP(S), all attempts together
 *                            ({@code SLUICE_ITEM_DEADLINE_MS})
 * @param webhookConnectTimeout the TCP/TLS connect of one webhook POST (deliveries and {@code :test})
 *                            ({@code SLUICE_WEBHOOK_CONNECT_TIMEOUT_MS}); the whole POST is bounded by the webhook's own
 *                            {@code timeoutMs}
 * @param fanoutReserve       fan-out hands over to a continuation message when less than this is left of its
 *                            invocation ({@code SLUICE_FANOUT_RESERVE_MS}); it must exceed the time of one segment
 *                            (100 batches: a ledger write and a SendMessageBatch)
 * @param gatherPatience      how long inference waits for the items of a batch that are still being fetched after the
 *                            others are in, before it defers the batch ({@code SLUICE_GATHER_PATIENCE_MS})
 */
public record Tunables(long maxItemBytes, Duration itemConnectTimeout, Duration itemDeadline,
                       Duration webhookConnectTimeout, Duration fanoutReserve, Duration gatherPatience) {
    /** What Sluice runs with when nothing is set. */
    public static final Tunables DEFAULTS = new Tunables(32L * 1024 * 1024, Duration.ofSeconds(5),
            Duration.ofSeconds(20), Duration.ofSeconds(5), Duration.ofSeconds(20), Duration.ofSeconds(5));

    /** The variables, in the order of the record's components. */
    public static final java.util.List<String> ENV = java.util.List.of("SLUICE_MAX_ITEM_BYTES",
            "SLUICE_ITEM_CONNECT_TIMEOUT_MS", "SLUICE_ITEM_DEADLINE_MS", "SLUICE_WEBHOOK_CONNECT_TIMEOUT_MS",
            "SLUICE_FANOUT_RESERVE_MS", "SLUICE_GATHER_PATIENCE_MS");

    /** @throws IllegalArgumentException when a value is not positive (a zero cap or timeout would fail every item) */
    public Tunables {
        positive("maxItemBytes", maxItemBytes);
        positive("itemConnectTimeout", itemConnectTimeout.toMillis());
        positive("itemDeadline", itemDeadline.toMillis());
        positive("webhookConnectTimeout", webhookConnectTimeout.toMillis());
        positive("fanoutReserve", fanoutReserve.toMillis());
        positive("gatherPatience", gatherPatience.toMillis());
    }

    /**
     * Each variable that is set replaces its default.
     *
     * @throws IllegalStateException naming the variable when a value is not a positive whole number
     */
    public static Tunables fromEnv(Map<String, String> env) {
        Tunables d = DEFAULTS;
        return new Tunables(number(env, ENV.get(0), d.maxItemBytes),
                millis(env, ENV.get(1), d.itemConnectTimeout), millis(env, ENV.get(2), d.itemDeadline),
                millis(env, ENV.get(3), d.webhookConnectTimeout), millis(env, ENV.get(4), d.fanoutReserve),
                millis(env, ENV.get(5), d.gatherPatience));
    }

    /** The environment that gives these values (every variable written). */
    public Map<String, String> toEnv() {
        return Map.of(ENV.get(0), Long.toString(maxItemBytes), ENV.get(1), Long.toString(itemConnectTimeout.toMillis()),
                ENV.get(2), Long.toString(itemDeadline.toMillis()), ENV.get(3),
                Long.toString(webhookConnectTimeout.toMillis()), ENV.get(4), Long.toString(fanoutReserve.toMillis()),
                ENV.get(5), Long.toString(gatherPatience.toMillis()));
    }

    private static Duration millis(Map<String, String> env, String name, Duration fallback) {
        return Duration.ofMillis(number(env, name, fallback.toMillis()));
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String text = env.get(name);
        if (text == null || text.isBlank()) {
            return fallback;
        }
        try {
            long value = Long.parseLong(text.strip());
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalStateException("environment variable " + name + " is \"" + text
                + "\"; it is a positive whole number (default " + fallback + ")");
    }

    private static void positive(String name, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, is " + value);
        }
    }
}
