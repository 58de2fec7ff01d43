package dev.sluice.execution;

import dev.sluice.core.usage.FargateSize;
import dev.sluice.core.usage.LambdaSizing;
import dev.sluice.core.usage.PriceTable;
import dev.sluice.core.usage.UsageReport;

/**
 * How long an execution over a folder would run and what it would cost, and where those figures come from: a dry
 * run's estimate ({@code POST /executions?dryRun=true}).
 *
 * <p>A file task's time is its bytes at the format's rate plus a fixed cost per file (listing, opening, the output's
 * upload, settling); tasks run {@code min(parallelism, files)} at a time. The rows of a file are not known before it is
 * read (a CSV must be scanned whole), so the estimate is made from bytes. The benchmark's rates are those of one
 * 2-vCPU machine; a worker of the execution's {@code compute} reads at that rate × its vCPUs ÷ 2 (a Lambda function
 * has one vCPU per 1,769 MB of memory, <a href="https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html">
 * Lambda memory</a>; a CPU pool task the vCPUs of its Fargate size; a GPU pool task is taken at the benchmark's rate)
 * and costs its target's on-demand price per second (the dated {@link PriceTable}: Lambda GB-seconds at the instance's
 * memory, the GPU pool's instance hour, Fargate's vCPU and GB hours); spot capacity is priced on demand, an upper bound.
 *
 * @param estimatedSeconds wall time from the listing to the last file settled, seconds
 * @param estimatedCostUsd AWS charges of the run: compute of the file tasks on the execution's target plus the requests
 *                         of each file, US dollars
 * @param basis            the figures the estimate is made of
 */
public record ExecutionEstimate(long estimatedSeconds, double estimatedCostUsd, Basis basis) {
    /**
     * @param source         {@code Benchmark}: the figures committed in the repository (README "Benchmarks",
     *                       executions rows: a tabular model over 4 files × 100,000 rows of 5 columns, and 500 small
     *                       CSV files; measured on one 2-vCPU machine, taken here as one worker's rate)
     * @param bytesPerSecond input bytes one worker of the execution's compute reads, predicts and writes per second,
     *                       for the input file type
     * @param filesPerSecond small files one worker settles per second (the per-file cost whatever the size)
     * @param workers        file tasks in parallel: {@code min(parallelism, files)}
     * @param usdPerFile     requests per file: the output's multipart upload (3 S3 PUT-class requests at $0.005 per
     *                       1,000), 2 GETs ($0.0004 per 1,000), 3 SQS requests ($0.40 per million), 2 DynamoDB writes
     *                       ($0.625 per million) — us-east-1 on-demand prices
     * @param usdPerWorkerSecond compute of one worker for a second: Lambda at the instance's memory, a pool task of
     *                           the instance, at the region's on-demand prices
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
    /** vCPUs of the machine the benchmark's rates were measured on. */
    static final int BENCHMARK_VCPUS = 2;

    /**
     * The estimate from the committed benchmark's figures.
     *
     * @param type    the input file type
     * @param files   files the execution would run (≥ 0)
     * @param bytes   their total size, bytes
     * @param compute the execution's compute (target, instance, tasks: the parallelism)
     */
    public static ExecutionEstimate fromBenchmark(FileType type, long files, long bytes, Compute compute) {
        PriceTable.Prices prices = PriceTable.bundled().in(UsageReport.deploymentRegion())
                .or(() -> PriceTable.bundled().in("us-east-1")).orElseThrow();
        double vcpus;
        double usdPerWorkerSecond;
        switch (compute.target()) {
            case Lambda -> {
                int memoryMb = Integer.parseInt(compute.instance());
                vcpus = Math.min(6.0, (double) memoryMb / LambdaSizing.MB_PER_VCPU);
                usdPerWorkerSecond = memoryMb / 1024.0 * prices.lambdaGbSecond();
            }
            case CpuPool -> {
                FargateSize size = java.util.Objects.requireNonNullElse(FargateSize.parse(compute.instance()),
                        FargateSize.deployed());
                vcpus = size.vcpu();
                usdPerWorkerSecond = size.hourUsd(prices) / 3600;
            }
            case GpuPool -> {
                vcpus = BENCHMARK_VCPUS;
                usdPerWorkerSecond = prices.gpuTaskHour() / 3600;
            }
            default -> throw new IllegalStateException("unknown target " + compute.target());
        }
        long rate = Math.max(1, Math.round(switch (type) {
            case CSV -> CSV_BYTES_PER_SECOND;
            case PARQUET -> PARQUET_BYTES_PER_SECOND;
            case FEATHER -> FEATHER_BYTES_PER_SECOND;
            case NDJSON -> NDJSON_BYTES_PER_SECOND;
        } * vcpus / BENCHMARK_VCPUS));
        int workers = (int) Math.max(1, Math.min(compute.tasks(), files));
        double workerSeconds = (double) bytes / rate + files / FILES_PER_SECOND;
        long seconds = (long) Math.ceil(workerSeconds / workers);
        double cost = Math.round((workerSeconds * usdPerWorkerSecond + files * USD_PER_FILE) * 1_000_000) / 1_000_000.0;
        return new ExecutionEstimate(seconds, cost, new Basis(BENCHMARK, rate, FILES_PER_SECOND, workers,
                Math.round(USD_PER_FILE * 1e9) / 1e9, Math.round(usdPerWorkerSecond * 1e9) / 1e9));
    }
}
