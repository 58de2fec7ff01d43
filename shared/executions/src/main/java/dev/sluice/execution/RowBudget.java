package dev.sluice.execution;

/**
 * The heap a file task's reader may hold at once, so that what cannot be streamed fails the file with a code naming
 * the cause while it is read, never with an OutOfMemoryError (issue 21 item 10, issue 27). A file is streamed: its
 * rows go through in chunks ({@link TableReader.Limit}); what a reader must hold whole before it can give a row is
 * charged here — a Parquet footer (its Thrift parsed), one Parquet row group's pages, one Arrow record batch (and the
 * file's dictionaries), the text of one CSV record or NDJSON line being parsed — and given back when let go. A file
 * task gets a quarter of the JVM's maximum heap for it ({@link #ofHeap()}); the rest holds the chunk of rows, their
 * outputs and the output's buffers ({@link #chunkBytes()}). Going over throws {@link FileProblem} with the
 * {@link Held} code. Not thread-safe: one per file read.
 */
public final class RowBudget {
    /** The share of the maximum heap a reader may hold: 1/4 (see the class comment). */
    public static final int HEAP_SHARE = 4;

    /** What a reader holds whole, and the code of a file whose one such piece does not fit. */
    public enum Held {
        FOOTER("execution.footer_too_large", "the file's footer (its schema and row group index)"),
        ROW_GROUP("execution.row_group_too_large", "one of the file's Parquet row groups"),
        RECORD_BATCH("execution.record_batch_too_large", "one of the file's Arrow record batches (with its dictionaries)"),
        RECORD("execution.line_too_long", "one record (a CSV record or an NDJSON line)");

        public final String code;
        final String what;

        Held(String code, String what) {
            this.code = code;
            this.what = what;
        }
    }

    private final long maxBytes;
    private long used;

    public RowBudget(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** A quarter of this JVM's maximum heap ({@code -Xmx}, or what the Lambda function's memory size gives). */
    public static RowBudget ofHeap() {
        return ofHeap(1);
    }

    /**
     * A file's budget in a JVM that runs up to {@code filesAtOnce} file tasks at once: a quarter of the maximum heap
     * for one or two, else half of it shared among them (heap / 2 / filesAtOnce). A file holds about 1.5 times its
     * budget at its peak (the reader's piece, its chunk three times over and the output's row group, see
     * {@link #chunkBytes()}), so the files of a worker together stay within three quarters of the heap however many
     * it runs: a task pool worker runs one file more than its slots (for another project), and three files of a
     * quarter each would hold more than the heap.
     */
    public static RowBudget ofHeap(int filesAtOnce) {
        return new RowBudget(Runtime.getRuntime().maxMemory() / HEAP_SHARE * 2 / Math.max(2, filesAtOnce));
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

    /**
     * The heap bytes of one chunk of rows, as {@link #cost(Object[])} estimates them: an eighth of the budget (a
     * thirty-second of the heap). A chunk is held about three times over (as read, with its outputs appended, fitted
     * to the output schema), beside the output's row group (as large as a chunk) and its 5 MiB part buffer, the
     * reader's piece (up to the budget) and the worker's own objects; a 64 MiB heap held ~40 MiB live mid-file (GC
     * log of StreamedFileChildJvmTest's child, 35–40 MiB in 48 and 64 MiB, with full GCs most of the time), so that
     * test runs the task in 80 MiB and the bench in 96 MiB.
     */
    public long chunkBytes() {
        return maxBytes == Long.MAX_VALUE ? Long.MAX_VALUE : Math.max(1, maxBytes / 8);
    }

    /** Charges bytes a reader holds whole (see {@link Held}); going over fails the file with that code. */
    public void chargeBytes(long bytes, Held what) {
        used += bytes;
        if (used > maxBytes || used < 0 || bytes < 0) {
            used -= bytes;
            throw tooLarge(what, bytes);
        }
    }

    /** Gives back bytes charged with {@link #chargeBytes} that the reader let go. */
    public void release(long bytes) {
        used -= bytes;
    }

    public FileProblem tooLarge(Held what, long bytes) {
        return new FileProblem(what.code, what.what + " takes " + (bytes < 0 ? "more than the budget" : (bytes >> 20)
                + " MiB") + ", over the " + (maxBytes >> 20) + " MiB a file task may hold at once on this worker (a"
                + " quarter of its heap); the file streams, but that piece must be held whole: write the file with"
                + " smaller pieces (row groups, record batches, lines) or give the workers more memory");
    }

    /** A row's heap bytes: its array (16 + 4 per cell) and each value (see {@link #cost(Object)}). */
    public static long cost(Object[] row) {
        long bytes = 16 + 4L * row.length;
        for (Object v : row) {
            bytes += cost(v);
        }
        return bytes;
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
