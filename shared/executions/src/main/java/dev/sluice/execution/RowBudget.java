package dev.sluice.execution;

/**
 * The heap one file's rows may take on a worker, so that a file too large for the worker fails with
 * {@code execution.file_too_large} while it is read, never with an OutOfMemoryError (issue 21 item 10). A file's
 * rows are held three times over at most (the read table, the output table, the written file's buffers), so a file
 * gets a quarter of the JVM's maximum heap ({@link #ofHeap()}). Readers charge each row as they hold it
 * ({@link #charge(Object[])}: an estimate of its objects on a 64-bit JVM with compressed references) and the bytes
 * they buffer outside rows ({@link #chargeBytes}); going over throws {@link FileProblem}. Not thread-safe: one per
 * file read.
 */
public final class RowBudget {
    /** The share of the maximum heap one file may take: 1/4 (see the class comment). */
    public static final int HEAP_SHARE = 4;
    private final long maxBytes;
    private long used;

    public RowBudget(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A quarter of this JVM's maximum heap ({@code -Xmx}, or what the Lambda function's memory size gives). */
    public static RowBudget ofHeap() {
        return new RowBudget(Runtime.getRuntime().maxMemory() / HEAP_SHARE);
    }

    /** No bound (tests and tools that read files they wrote). */
    public static RowBudget unbounded() {
        return new RowBudget(Long.MAX_VALUE);
    }

    public long maxBytes() {
        return maxBytes;
    }

    public long usedBytes() {
        return used;
    }

    /** Charges a row: its array (16 + 4 per cell) and each value (see {@link #cost(Object)}). */
    public void charge(Object[] row) {
        long bytes = 16 + 4L * row.length;
        for (Object v : row) {
            bytes += cost(v);
        }
        chargeBytes(bytes);
    }

    /** Charges bytes a reader holds outside rows (a record being parsed, a row group's pages). */
    public void chargeBytes(long bytes) {
        used += bytes;
        if (used > maxBytes || used < 0) {
            throw tooLarge();
        }
    }

    /** Gives back bytes charged with {@link #chargeBytes} that the reader let go. */
    public void release(long bytes) {
        used -= bytes;
    }

    /** Whether bytes more would still fit. */
    public boolean fits(long bytes) {
        return bytes >= 0 && used + bytes <= maxBytes && used + bytes >= 0;
    }

    public FileProblem tooLarge() {
        return new FileProblem("execution.file_too_large", "the file's rows take more than the " + (maxBytes >> 20)
                + " MiB of memory a file may use on this worker (a quarter of its heap); split it into smaller"
                + " files or give the workers more memory");
    }

    /** A value's heap bytes: a String 40 + a byte per char (compact strings; text beyond Latin-1 takes 2); boxed numbers 16. */
    static long cost(Object v) {
        return switch (v) {
            case null -> 0;
            case String s -> 40 + (long) s.length();
            case byte[] b -> 16 + b.length;
            case Long l -> 16;
            case Double d -> 16;
            case Integer i -> 16;
            case Float f -> 16;
            case Boolean b -> 0;
            case java.math.BigDecimal d -> 40 + d.unscaledValue().bitLength() / 8 + 24;
            case java.math.BigInteger i -> 40 + i.bitLength() / 8;
            default -> 32;
        };
    }
}
