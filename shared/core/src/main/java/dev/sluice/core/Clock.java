package dev.sluice.core;

/** Epoch milliseconds; a port so tests can move time. */
@FunctionalInterface
public interface Clock {
    Clock SYSTEM = System::currentTimeMillis;

    long nowMillis();
}
