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
     * @param source             {@code History} when jobs of the deployment (or, for a job that names a model, of
     *                           the model) finished before: their measured items per second; else {@code Benchmark}:
     *                           the benchmark's figures committed in the repository (README "Benchmarks": the
     *                           local-stack job of 2,000 items, 103.1 items/s on one 2-vCPU worker; orchestration
     *                           $0.122 per million images, measured 2026-12-07 by {@code ./sluice bench --usage-only})
     * @param itemsPerSecond     throughput of one worker (for History: the measured rate of whole jobs ÷ workers)
     * @param workers            workers in parallel: the deployment's {@code maxConcurrency}, else {@value #DEFAULT_WORKERS}
     * @param usdPerMillionItems Lambda compute of a 2-vCPU (3,538 MB) worker at $0.0000166667 per GB-second, plus
     *                           orchestration
     */
    public record Basis(String source, double itemsPerSecond, int workers, double usdPerMillionItems) {
    }

    public static final String BENCHMARK = "Benchmark";
    /** The estimate comes from the jobs of this deployment (or model) that finished: {@link #fromHistory}. */
    public static final String HISTORY = "History";
    /** Lambda's SQS poller starts with at least two concurrent invocations per event source. */
    public static final int DEFAULT_WORKERS = 2;
    static final double BENCH_ITEMS_PER_SECOND = 103.1;
    static final double ORCHESTRATION_USD_PER_MILLION = 0.122;
    static final double WORKER_GB = 3.538;
    static final double USD_PER_GB_SECOND = 0.0000166667;

    /**
     * The estimate from the committed benchmark's figures.
     *
     * @param items   items the job would run (≥ 0)
     * @param workers the deployment's maxConcurrency, or null
     */
    public static JobEstimate fromBenchmark(long items, Integer workers) {
        return at(items, workers == null ? DEFAULT_WORKERS : workers, BENCH_ITEMS_PER_SECOND, BENCHMARK);
    }

    /**
     * The estimate from the measured throughput of the deployment's (or model's) finished jobs: a job of n items takes
     * n ÷ their items per second, its workers each run that rate ÷ workers, and cost follows as for the benchmark.
     *
     * @param workers the deployment's maxConcurrency, or null
     */
    public static JobEstimate fromHistory(long items, Integer workers, Throughput measured) {
        int w = workers == null ? DEFAULT_WORKERS : workers;
        return at(items, w, measured.itemsPerSecond() / w, HISTORY);
    }

    private static JobEstimate at(long items, int w, double perWorker, String source) {
        double computeUsdPerItem = WORKER_GB * USD_PER_GB_SECOND / perWorker;
        double usdPerMillion = Math.round((computeUsdPerItem * 1_000_000 + ORCHESTRATION_USD_PER_MILLION) * 1000) / 1000.0;
        long seconds = (long) Math.ceil(items / (perWorker * w));
        double cost = Math.round(items * usdPerMillion / 1_000_000 * 1_000_000) / 1_000_000.0;
        return new JobEstimate(seconds, cost, new Basis(source, Math.round(perWorker * 10) / 10.0, w, usdPerMillion));
    }
}
