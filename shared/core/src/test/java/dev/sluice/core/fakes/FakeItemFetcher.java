package dev.sluice.core.fakes;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.inference.ItemFetcher;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An {@link ItemFetcher} that reaches no network: an item's bytes are its URL's bytes, unless a test scripts a failure
 * ({@link #fail}: the stable gather code and reason the real fetcher would give) or a host that is slow
 * ({@link #hold}: the fetch waits until interrupted, as a cancelled gather interrupts it, and then answers
 * {@code gather.interrupted} like the real one; {@link #holdFor}: it waits that long, then answers). Counts fetches
 * per URL. For {@code s3://} items with the real fetcher's rules, use a real {@link ItemFetcher} over a
 * {@link FakeObjectStore} instead.
 */
public final class FakeItemFetcher extends ItemFetcher {
    private final Map<String, Fetched> scripted = new ConcurrentHashMap<>();
    private final Map<String, Long> holdMillis = new ConcurrentHashMap<>();
    private final Map<String, Integer> fetches = new HashMap<>();

    public FakeItemFetcher() {
        super(null, Duration.ofSeconds(1), Duration.ofSeconds(1), 1 << 20, false, null, AllowedBuckets.none("data"));
    }

    public FakeItemFetcher fail(String url, String errorCode, String reason) {
        scripted.put(url, new Fetched(null, errorCode, reason));
        return this;
    }

    /** The fetch of url never ends by itself: only an interrupt (a cancelled gather) ends it. */
    public FakeItemFetcher hold(String url) {
        holdMillis.put(url, Long.MAX_VALUE);
        return this;
    }

    /** The fetch of url takes this long, then succeeds. */
    public FakeItemFetcher holdFor(String url, long millis) {
        holdMillis.put(url, millis);
        return this;
    }

    @Override
    public Fetched fetch(String url) {
        synchronized (fetches) {
            fetches.merge(url, 1, Integer::sum);
        }
        Long hold = holdMillis.get(url);
        if (hold != null) {
            try {
                Thread.sleep(hold == Long.MAX_VALUE ? Long.MAX_VALUE / 2_000_000 : hold);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Fetched(null, "gather.interrupted", "the fetch was interrupted");
            }
        }
        Fetched f = scripted.get(url);
        return f != null ? f : new Fetched(url.getBytes(StandardCharsets.UTF_8), null, null);
    }

    public int fetches(String url) {
        synchronized (fetches) {
            return fetches.getOrDefault(url, 0);
        }
    }
}
