package dev.sluice.core.fakes;

import dev.sluice.core.Clock;

import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when a test moves it. */
public final class FakeClock implements Clock {
    private final AtomicLong now;

    public FakeClock(long startMillis) {
        this.now = new AtomicLong(startMillis);
    }

    public FakeClock() {
        this(1_800_000_000_000L);
    }

    @Override
    public long nowMillis() {
        return now.get();
    }

    public void advance(long millis) {
        now.addAndGet(millis);
    }

    public void set(long millis) {
        now.set(millis);
    }
}
