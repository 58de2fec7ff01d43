package dev.sluice.core.usage;

/**
 * What one job or execution used, in the units AWS bills, as exact integers so that DynamoDB's atomic {@code ADD}
 * sums them without rounding: Lambda MB·milliseconds (GB-seconds = MB·ms / 1024 / 1000), pool task milliseconds,
 * requests, DynamoDB capacity in thousandths of a unit (as DynamoDB reports ConsumedCapacity, to 0.5 unit), and bytes.
 *
 * @param lambdaMbMillis        the functions' own timing of their work for the job (ms) × their configured memory (MB)
 * @param gpuTaskMillis         time the GPU pool's tasks spent on the job's messages (ms)
 * @param cpuTaskMillis         time the CPU pool's tasks spent on the job's messages (ms)
 * @param sqsRequests           SQS requests the functions made, plus the event source mapping's receive and delete
 *                              that brought and removed each invocation's messages (two per invocation)
 * @param dynamoReadMilliUnits  DynamoDB read capacity units consumed, × 1000 (ReturnConsumedCapacity)
 * @param dynamoWriteMilliUnits DynamoDB write capacity units consumed, × 1000 (ReturnConsumedCapacity)
 * @param s3PutRequests         S3 PUT, COPY, POST and LIST requests (S3's dearer request class)
 * @param s3GetRequests         S3 GET, HEAD and other requests
 * @param bytesFetched          bytes of items and files read from their sources (HTTPS bodies, S3 objects)
 * @param webhookPosts          webhook POSTs sent (every attempt, retries included)
 */
public record Usage(long lambdaMbMillis, long gpuTaskMillis, long cpuTaskMillis, long sqsRequests,
                    long dynamoReadMilliUnits, long dynamoWriteMilliUnits, long s3PutRequests, long s3GetRequests,
                    long bytesFetched, long webhookPosts) {
    public static final Usage ZERO = new Usage(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /** The attribute names of the fields, in declaration order: how the stores keep them (one number each). */
    public static final java.util.List<String> FIELDS = java.util.List.of("lambdaMbMillis", "gpuTaskMillis",
            "cpuTaskMillis", "sqsRequests", "dynamoReadMilliUnits", "dynamoWriteMilliUnits", "s3PutRequests",
            "s3GetRequests", "bytesFetched", "webhookPosts");

    /** The fields' values, in {@link #FIELDS} order. */
    public long[] values() {
        return new long[]{lambdaMbMillis, gpuTaskMillis, cpuTaskMillis, sqsRequests, dynamoReadMilliUnits,
                dynamoWriteMilliUnits, s3PutRequests, s3GetRequests, bytesFetched, webhookPosts};
    }

    /** The usage with these values, in {@link #FIELDS} order. */
    public static Usage of(long[] v) {
        if (v.length != FIELDS.size()) {
            throw new IllegalArgumentException("usage has " + FIELDS.size() + " fields, got " + v.length);
        }
        return new Usage(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
    }

    public Usage plus(Usage o) {
        long[] a = values();
        long[] b = o.values();
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.addExact(a[i], b[i]);
        }
        return of(a);
    }

    public Usage minus(Usage o) {
        long[] a = values();
        long[] b = o.values();
        for (int i = 0; i < a.length; i++) {
            a[i] -= b[i];
        }
        return of(a);
    }

    public boolean isZero() {
        for (long v : values()) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    public static Usage lambda(long mbMillis) {
        return new Usage(mbMillis, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public static Usage gpuTask(long millis) {
        return new Usage(0, millis, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    public static Usage cpuTask(long millis) {
        return new Usage(0, 0, millis, 0, 0, 0, 0, 0, 0, 0);
    }

    public static Usage sqs(long requests) {
        return new Usage(0, 0, 0, requests, 0, 0, 0, 0, 0, 0);
    }

    /** DynamoDB capacity as ConsumedCapacity reports it (units, possibly fractional: 0.5 for an eventual read). */
    public static Usage dynamo(double readUnits, double writeUnits) {
        return new Usage(0, 0, 0, 0, Math.round(readUnits * 1000), Math.round(writeUnits * 1000), 0, 0, 0, 0);
    }

    public static Usage s3(long putRequests, long getRequests) {
        return new Usage(0, 0, 0, 0, 0, 0, putRequests, getRequests, 0, 0);
    }

    public static Usage fetched(long bytes) {
        return new Usage(0, 0, 0, 0, 0, 0, 0, 0, bytes, 0);
    }

    public static Usage webhookPost() {
        return new Usage(0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
    }

    /**
     * The usage split in proportion to weights (message counts), exactly: the parts add up to this usage, field by
     * field (the remainder of each field's division goes to the first owners, one unit each).
     */
    public <K> java.util.Map<K, Usage> split(java.util.Map<K, Long> weights) {
        long total = weights.values().stream().mapToLong(Long::longValue).sum();
        java.util.Map<K, Usage> parts = new java.util.LinkedHashMap<>();
        if (total <= 0) {
            return parts;
        }
        long[] all = values();
        java.util.Map<K, long[]> shares = new java.util.LinkedHashMap<>();
        long[] given = new long[all.length];
        weights.forEach((k, w) -> {
            long[] s = new long[all.length];
            for (int i = 0; i < all.length; i++) {
                s[i] = java.math.BigInteger.valueOf(all[i]).multiply(java.math.BigInteger.valueOf(w))
                        .divide(java.math.BigInteger.valueOf(total)).longValueExact();
                given[i] += s[i];
            }
            shares.put(k, s);
        });
        for (int i = 0; i < all.length; i++) {
            long rest = all[i] - given[i];
            for (long[] s : shares.values()) {
                if (rest <= 0) {
                    break;
                }
                s[i]++;
                rest--;
            }
        }
        shares.forEach((k, s) -> parts.put(k, of(s)));
        return parts;
    }
}
