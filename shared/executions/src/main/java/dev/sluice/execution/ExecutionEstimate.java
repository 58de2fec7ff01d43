package dev.sluice.execution;

/**
 * How long an execution over a folder would run and what it would cost, and where those figures come from: a dry
 * run's estimate ({@code POST /executions?dryRun=true}).
 *
 * <p>A file task's time is its bytes at the format's rate plus a fixed cost per file (listing, opening, the output's
 * upload, settling); tasks run {@code min(parallelism, files)} at a time. The rows of a file are not known before it is
 * read (a CSV must be scanned whole), so the estimate is made from bytes.
 *
 * @param estimatedSeconds wall time from the listing to the last file settled, seconds
 * @param estimatedCostUsd AWS charges of the run: Lambda compute of the file tasks plus the requests of each file,
 *                         US dollars
 * @param basis            the figures the estimate is made of
 */
public record ExecutionEstimate(long estimatedSeconds, double estimatedCostUsd, Basis basis) {
    /**
     * @param source         {@code Benchmark}: the figures committed in the repository (README "Benchmarks",
     *                       executions rows: a tabular model over 4 files × 100,000 rows of 5 columns, and 500 small
     *                       CSV files; measured on one 2-vCPU machine, taken here as one worker's rate)
     * @param bytesPerSecond input bytes one worker reads, predicts and writes per second, for the input file type
     * @param filesPerSecond small files one worker settles per second (the per-file cost whatever the size)
     * @param workers        file tasks in parallel: {@code min(parallelism, files)}
     * @param usdPerFile     requests per file: the output's multipart upload (3 S3 PUT-class requests at $0.005 per
     *                       1,000), 2 GETs ($0.0004 per 1,000), 3 SQS requests ($0.40 per million), 2 DynamoDB writes
     *                       ($0.625 per million) — us-east-1 on-demand prices
     * @param usdPerWorkerSecond Lambda compute of a 2-vCPU (3,538 MB) function at $0.0000166667 per GB-second
     */
    public record Basis(String source, long bytesPerSecond, double filesPerSecond, int workers, double usdPerFile,
                        double usdPerWorkerSecond) {
    }

    public static final String BENCHMARK = "Benchmark";
    /**
     * The benchmark's rows per second (README "Benchmarks", 2026-11-23) × the bytes per row of its files as the
     * project's writers write them (CSV 65.3, Parquet 25.9, Feather 50.5, NDJSON 92.3 bytes a row: the benchmark's table of 100,000 rows written
     * by {@code dev.sluice.tables.Tables}, 2026-12-07).
     */
    static final long CSV_BYTES_PER_SECOND = Math.round(67_081 * 65.3);
    static final long PARQUET_BYTES_PER_SECOND = Math.round(38_309 * 25.9);
    static final long FEATHER_BYTES_PER_SECOND = Math.round(234_208 * 50.5);
    /** NDJSON was not benchmarked: CSV's rows per second at NDJSON's bytes per row (the keys repeated on every line). */
    static final long NDJSON_BYTES_PER_SECOND = Math.round(67_081 * 92.3);
    static final double FILES_PER_SECOND = 53.3;
    static final double USD_PER_FILE = 3 * 0.005 / 1000 + 2 * 0.0004 / 1000 + 3 * 0.40 / 1e6 + 2 * 0.625 / 1e6;
    static final double USD_PER_WORKER_SECOND = 3.538 * 0.0000166667;

    /**
     * The estimate from the committed benchmark's figures.
     *
     * @param type        the input file type
     * @param files       files the execution would run (≥ 0)
     * @param bytes       their total size, bytes
     * @param parallelism the execution's parallelism (≥ 1)
     */
    public static ExecutionEstimate fromBenchmark(FileType type, long files, long bytes, int parallelism) {
        long rate = switch (type) {
            case CSV -> CSV_BYTES_PER_SECOND;
            case PARQUET -> PARQUET_BYTES_PER_SECOND;
            case FEATHER -> FEATHER_BYTES_PER_SECOND;
            case NDJSON -> NDJSON_BYTES_PER_SECOND;
        };
        int workers = (int) Math.max(1, Math.min(parallelism, files));
        double workerSeconds = (double) bytes / rate + files / FILES_PER_SECOND;
        long seconds = (long) Math.ceil(workerSeconds / workers);
        double cost = Math.round((workerSeconds * USD_PER_WORKER_SECOND + files * USD_PER_FILE) * 1_000_000) / 1_000_000.0;
        return new ExecutionEstimate(seconds, cost, new Basis(BENCHMARK, rate, FILES_PER_SECOND, workers,
                Math.round(USD_PER_FILE * 1e9) / 1e9, Math.round(USD_PER_WORKER_SECOND * 1e9) / 1e9));
    }
}
