package dev.sluice.core.job;

/**
 * How long a job of n items would run and what it would cost, and where those figures come from.
 *
 * @param estimatedSeconds wall time from the first batch to the last, seconds
 * @param estimatedCostUsd AWS charges of the run (Lambda compute, DynamoDB, SQS, S3), US dollars
 * @param basis            the figures the estimate is made of
 */
public record JobEstimate(long estimatedSeconds, double estimatedCostUsd, Basis basis) {
    /**
     * @param source             {@code Benchmark}: the benchmark's figures committed in the repository (README
     *                           "Benchmarks": the local-stack job of 2,000 items, 103.1 items/s on one 2-vCPU
     *                           worker; orchestration $0.205 per million images), as no measured history is used yet
     * @param itemsPerSecond     throughput of one worker
     * @param workers            workers in parallel: the deployment's {@code maxConcurrency}, else {@value #DEFAULT_WORKERS}
     * @param usdPerMillionItems Lambda compute of a 2-vCPU (3,538 MB) worker at $0.0000166667 per GB-second, plus
     *                           orchestration
     */
    public record Basis(String source, double itemsPerSecond, int workers, double usdPerMillionItems) {
    }

    public static final String BENCHMARK = "Benchmark";
    /** Lambda's SQS poller starts with at least two concurrent invocations per event source. */
    public static final int DEFAULT_WORKERS = 2;
    static final double BENCH_ITEMS_PER_SECOND = 103.1;
    static final double ORCHESTRATION_USD_PER_MILLION = 0.205;
    static final double WORKER_GB = 3.538;
    static final double USD_PER_GB_SECOND = 0.0000166667;

    /**
     * The estimate from the committed benchmark's figures.
     *
     * @param items   items the job would run (≥ 0)
     * @param workers the deployment's maxConcurrency, or null
     */
    public static JobEstimate fromBenchmark(long items, Integer workers) {
        int w = workers == null ? DEFAULT_WORKERS : workers;
        double computeUsdPerItem = WORKER_GB * USD_PER_GB_SECOND / BENCH_ITEMS_PER_SECOND;
        double usdPerMillion = Math.round((computeUsdPerItem * 1_000_000 + ORCHESTRATION_USD_PER_MILLION) * 1000) / 1000.0;
        long seconds = (long) Math.ceil(items / (BENCH_ITEMS_PER_SECOND * w));
        double cost = Math.round(items * usdPerMillion / 1_000_000 * 1_000_000) / 1_000_000.0;
        return new JobEstimate(seconds, cost, new Basis(BENCHMARK, BENCH_ITEMS_PER_SECOND, w, usdPerMillion));
    }
}
