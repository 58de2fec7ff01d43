package dev.sluice.core;

import java.security.SecureRandom;

/**
 * Random delays for retries and random name suffixes, safe under Lambda SnapStart: restored copies of one snapshot
 * draw different values. {@code ThreadLocalRandom} is not: each thread's seed comes from a static seeder whose value
 * is in the snapshot, so the same thread in every restored environment draws the same sequence, and their "jittered"
 * retries would hit DynamoDB or SQS in lockstep. {@code SecureRandom} (NativePRNG, mixing /dev/urandom on every call)
 * is what AWS names for uniqueness after restore
 * (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html). It costs about a microsecond per call:
 * these are drawn per retry or per stored record, never per item.
 */
public final class Jitter {
    private static final SecureRandom RANDOM = new SecureRandom();

    private Jitter() {
    }

    /** @return a uniformly drawn value in [0, bound); {@code bound} must be positive */
    public static long below(long bound) {
        return RANDOM.nextLong(bound);
    }

    /** @return a uniformly drawn value in [from, to); {@code from < to} */
    public static long between(long from, long to) {
        return RANDOM.nextLong(from, to);
    }

    /** @return 32 random bits */
    public static int nextInt() {
        return RANDOM.nextInt();
    }
}
