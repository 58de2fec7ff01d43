package dev.sluice.bench;

import java.util.List;

/**
 * `./sluice bench [--short]`: every benchmark, then one table. A benchmark never fails on a timing; the exit code
 * is non-zero only when a run itself breaks (a job that does not finish, a signature that does not verify).
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Exception | Error e) {
            e.printStackTrace();
            System.exit(1); // also ends the emulators' and servers' non-daemon threads
        }
    }

    private static void run(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--short");
        boolean pipelineOnly = List.of(args).contains("--pipeline-only");
        int profile = List.of(args).indexOf("--profile");
        if (profile >= 0) {
            // the photo job (or with --stage the inference stage alone) under JDK Flight Recorder: CPU per item by
            // stage, waits, hottest methods, allocation sites (README: Profile)
            boolean stage = List.of(args).contains("--stage");
            java.nio.file.Path file = profile + 1 < args.length && !args[profile + 1].startsWith("--")
                    ? java.nio.file.Path.of(args[profile + 1]) : Profile.defaultFile(stage);
            Profile.run(file, List.of(args).contains("--short"), stage);
            System.exit(0);
        }
        if (List.of(args).contains("--photos-only")) {
            Table photos = new Table();
            PhotoBench.addTo(photos, List.of(args).contains("--short"), Runtime.getRuntime().availableProcessors());
            System.out.println(photos.render());
            System.exit(0);
        }
        if (List.of(args).contains("--streamed-only")) {
            // only the large Parquet file on the Lambda path and on the local pool worker (README: Benchmarks)
            Table streamed = new Table();
            String broken = addStreamed(streamed, quick);
            System.out.println(streamed.render());
            if (broken != null) {
                System.err.println(broken);
            }
            System.exit(broken == null ? 0 : 1);
        }
        if (List.of(args).contains("--cold-only")) {
            // only the cold starts, each function's package in a child JVM (README "Cold start and SnapStart")
            Table cold = new Table();
            int at = List.of(args).indexOf("--cold-only");
            String only = at + 1 < args.length && !args[at + 1].startsWith("--") ? args[at + 1] : null; // one function
            addColdStarts(cold, ColdStartBench.run(java.nio.file.Path.of(System.getenv().getOrDefault("SLUICE_HOME", ".")),
                    function -> only == null || only.equals(function)));
            System.out.println(cold.render());
            System.exit(0);
        }
        int items = quick ? 256 : 2000;
        // the jobs' default batch size unless `--batch N` (to compare a cost with an older run's batch of 32)
        int batchArg = List.of(args).indexOf("--batch");
        int batch = batchArg >= 0 ? Integer.parseInt(args[batchArg + 1]) : dev.sluice.core.job.JobSpec.DEFAULT_BATCH_SIZE;
        int threads = Runtime.getRuntime().availableProcessors();
        Table table = new Table();
        String broken = null;
        System.out.printf("Sluice benchmarks (%s mode), %d CPUs, %s %s, max heap %d MiB%n", quick ? "short" : "full",
                threads, System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);

        if (List.of(args).contains("--usage-only")) {
            // only the benchmark's job: its orchestration cost and usage-vs-interceptor rows (README "Usage and cost")
            PipelineBench.Result pipe = PipelineBench.run(items, batch);
            Costs.addTo(table, pipe.requests(), pipe.items());
            printUnits(pipe);
            addUsage(table, pipe.usage());
            System.out.println("The job's requests by operation (bench interceptor): " + pipe.usage().seen());
            System.out.println(table.render());
            System.exit("Finished".equals(pipe.overview()) ? 0 : 1);
        }
        FloorBench.Result floor = FloorBench.run(items, batch, threads);
        PipelineBench.Result pipe = PipelineBench.run(items, batch);
        double efficiency = pipe.itemsPerSecond() / floor.itemsPerSecond();
        table.add("pipeline", "compute floor (decode + preprocess + ORT, batch " + batch + ", " + threads + " threads)",
                String.format("%.1f items/s", floor.itemsPerSecond()), null, null);
        table.add("pipeline", "local-stack job of " + items + " items (create → Finished)",
                String.format("%.1f items/s (%.1f s)", pipe.itemsPerSecond(), pipe.seconds()), null, null);
        table.add("pipeline", "efficiency = job / floor", String.format("%.2f", efficiency), "≥ 0.90", efficiency >= 0.90);
        table.add("floor", "JPEG/PNG decode, 1 thread", String.format("%.2f ms/image", floor.decodeMs()), null, null);
        table.add("floor", "resize + crop + normalise, 1 thread", String.format("%.2f ms/image", floor.preprocessMs()), null, null);
        table.add("floor", "ONNX Runtime, batch " + batch, String.format("%.2f ms/image", floor.ortMsPerItem()), null, null);
        table.add("floor", "decode + preprocess vs ORT",
                String.format("%.2f vs %.2f ms", floor.decodeMs() + floor.preprocessMs(), floor.ortMsPerItem()),
                "preprocess ≤ inference", floor.decodeMs() + floor.preprocessMs() <= floor.ortMsPerItem());
        table.add("job", "per item: gather / preprocess / predict (payload timings)",
                String.format("%.2f / %.2f / %.2f ms", pipe.gatherMs(), pipe.preprocessMs(), pipe.predictMs()), null, null);
        Costs.addTo(table, pipe.requests(), pipe.items());
        // where the units go, printed as soon as the job is measured (the photo benchmark runs next)
        printUnits(pipe);
        System.out.println(table.render());
        addUsage(table, pipe.usage());
        PhotoBench.addTo(table, quick, threads);

        for (int lines : pipelineOnly ? new int[0] : quick ? new int[]{20_000, 100_000} : new int[]{100_000, 1_000_000}) {
            FanoutBench.Result fan = FanoutBench.run(lines);
            // one message per batch of the fan-out job's own size (the fixture's 32, not the jobs' default)
            boolean ok = fan.messages() == (lines + fan.batchSize() - 1) / fan.batchSize();
            table.add("fan-out", String.format("%,d lines (child JVM -Xmx64m, %d invocations of ≤30 s)", lines,
                    fan.invocations()), String.format("%.1f s, heap peak ≤ %.0f MiB, RSS peak %.0f MiB, %,d messages%s",
                    fan.seconds(), fan.heapPeakMb(), fan.rssPeakMb(), fan.messages(), ok ? "" : " (WRONG COUNT)"),
                    lines >= 1_000_000 ? "≤ 30 s, memory flat" : "memory flat", lines >= 1_000_000 ? fan.seconds() <= 30 : null);
            if (!ok) {
                broken = "fan-out of " + lines + " lines sent " + fan.messages() + " messages";
            }
        }

        if (!pipelineOnly) {
            String failed = addColdStarts(table, ColdStartBench.run(java.nio.file.Path.of(System.getenv().getOrDefault("SLUICE_HOME", "."))));
            if (failed != null) {
                broken = failed;
            }
        }

        for (int jobs : pipelineOnly ? new int[0] : new int[]{1, 4}) {
            DeliveryBench.Result d = DeliveryBench.run(jobs, quick ? 320 : 2000);
            table.add("delivery", jobs + (jobs == 1 ? " job" : " jobs at once") + ", signed POSTs to a verifying receiver",
                    String.format("%.0f POSTs/s (%,d POSTs, %,d verified)", d.postsPerSecond(), d.posts(), d.verified()), null, null);
            if (d.verified() != d.posts()) {
                broken = "delivery: " + d.verified() + " of " + d.posts() + " POSTs verified";
            }
        }
        if (!pipelineOnly) {
            ExecutionBench.Result ex = quick ? ExecutionBench.run(2, 5_000, 50) : ExecutionBench.run(4, 100_000, 500);
            ex.rowsPerSecond().forEach((type, rate) -> table.add("executions", String.format(
                    "tabular model, %d %s files × %,d rows, in and out (start → Finished)", ex.files(), type,
                    ex.rowsPerFile()), String.format("%,.0f rows/s", rate), null, null));
            table.add("executions", String.format("%d small CSV files (3 rows), parallelism 50", ex.smallFiles()),
                    String.format("%.1f files/s", ex.filesPerSecond()), null, null);
            if (ex.broken() != null) {
                broken = ex.broken();
            }
        }
        if (!pipelineOnly) {
            String streamed = addStreamed(table, quick);
            if (streamed != null) {
                broken = streamed;
            }
        }
        if (!"Finished".equals(pipe.overview()) || pipe.verifiedPosts() != pipe.items()) {
            broken = "the benchmark job ended " + pipe.overview() + " with " + pipe.verifiedPosts()
                    + " items delivered by verified POSTs of " + pipe.items() + " (-1: a POST's signature did not verify)";
        }
        if (broken != null) {
            System.out.println(table.render());
            System.err.println(broken);
            System.exit(1);
        }
        System.out.println();
        System.out.println("Requests during the job: " + pipe.requests());
        System.out.println("The job's requests by operation (bench interceptor; usage vs interceptor rows): "
                + pipe.usage().seen());
        System.out.println("CPU ms by JVM thread during the job (virtual threads and ONNX Runtime's native threads are not listed): "
                + PipelineBench.cpuByThreadGroup.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(15).toList());
        System.out.println();
        System.out.println(table.render());
        System.exit(0);
    }


    /**
     * Issue 27: one large Parquet file, the same file in the same run, through one streaming file task as the inference
     * function (Lambda path) composes it in a child JVM, then on the local CPU pool's task worker (sluice local's
     * child JVM) as a CpuPool execution; both with a 96 MiB heap. Returns what broke, or null.
     */
    private static String addStreamed(Table table, boolean quick) throws Exception {
        String broken = null;
        try (StreamedFileBench.Input input = StreamedFileBench.generate(quick ? 1_000_000 : 13_200_000)) {
            StreamedFileBench.Result lambda = StreamedFileBench.run(input, "96m");
            StreamedFileBench.Result pool = PoolFileBench.run(input, "96m");
            for (StreamedFileBench.Result big : List.of(lambda, pool)) {
                String path = big == lambda ? "Lambda path" : "local CPU pool worker";
                table.add("executions", String.format("one %,d MB Parquet file (%,d rows) through one streaming file"
                                + " task, %s (child JVM -Xmx%s)", big.fileBytes() / 1_000_000, big.rows(), path,
                                big.heap()),
                        String.format("%,.0f rows/s, peak heap %.0f MiB", big.rowsPerSecond(), big.peakHeapMib()),
                        "every row right, heap ≤ -Xmx", big.broken() == null);
                if (big.broken() != null) {
                    broken = "streamed file (" + path + "): " + big.broken();
                }
            }
        }
        return broken;
    }

    /** The job's DynamoDB units per 1,000 items by operation and table, and its requests. */
    private static void printUnits(PipelineBench.Result pipe) {
        System.out.println("DynamoDB units per 1,000 items by operation and table: " + pipe.requests().entrySet().stream()
                .filter(e -> e.getKey().startsWith("units*1000 ")).map(e -> String.format("%s %.1f",
                        e.getKey().substring("units*1000 ".length()), e.getValue() / (double) pipe.items())).toList());
        System.out.println("Requests during the job: " + pipe.requests());
    }

    /** The cold-start rows; @return what broke, or null */
    private static String addColdStarts(Table table, List<ColdStartBench.Result> results) {
        String broken = null;
        for (ColdStartBench.Result cold : results) {
            table.add("cold start (JVM)", cold.function() + (cold.primed() ? ", primed at init (SnapStart's init)" : "")
                            + ": init / first event handled (the event's own time) / peak RSS",
                    cold.error() != null ? "FAILED: " + cold.error() : String.format("%.0f ms / %.0f ms (%.0f ms) / %.0f MiB",
                            cold.initMs(), cold.firstEventMs(), cold.afterInitMs(), cold.rssMb()), null, null);
            if (cold.error() != null) {
                broken = "cold start of " + cold.function() + " failed";
            }
        }
        return broken;
    }

    /**
     * Per request class, the job's status.usage beside the bench's own interceptor over the same set of requests
     * (the pipeline's for the job; not the API's, the scheduler's, empty polls or the daily usage sum): MISSED above
     * 2 %; and status.usage plus the meter's remainder against the interceptor, exactly.
     */
    private static void addUsage(Table table, PipelineBench.UsageCheck u) {
        for (dev.sluice.local.PipelineRequests.ClassCheck c : u.classes()) {
            boolean units = c.name().startsWith("dynamoDb");
            table.add("usage vs interceptor", "job " + c.name() + ": status.usage / bench interceptor",
                    String.format(units ? "%.1f / %.1f (gap %.2f %%)" : "%.0f / %.0f (gap %.2f %%)", c.shown(),
                            c.seen(), c.gap() * 100), "≤ 2 %", c.gap() <= 0.02);
        }
        table.add("usage vs interceptor", "status.usage + remainder (counted, carried by no write: the job's last"
                        + " write and what followed it) = interceptor, per class",
                String.format("remainder: SQS %d, S3 %d/%d, WRU %.1f, RRU %.1f", u.remainder().sqsRequests(),
                        u.remainder().s3PutRequests(), u.remainder().s3GetRequests(),
                        u.remainder().dynamoWriteMilliUnits() / 1000.0, u.remainder().dynamoReadMilliUnits() / 1000.0),
                "exact", u.exact());
        dev.sluice.core.usage.Usage o = u.othersInWindow();
        table.add("usage vs interceptor", "other jobs' requests during the job (the warm-up's tail; counted to them)",
                String.format("SQS %d, S3 %d/%d, WRU %.1f, RRU %.1f", o.sqsRequests(), o.s3PutRequests(),
                        o.s3GetRequests(), o.dynamoWriteMilliUnits() / 1000.0, o.dynamoReadMilliUnits() / 1000.0),
                null, null);
    }
}
