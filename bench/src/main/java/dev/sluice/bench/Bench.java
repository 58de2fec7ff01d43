package dev.sluice.bench;

import java.util.List;

/**
 * `./sluice bench [--short]`: every benchmark, then one table. A benchmark never fails on a timing; the exit code
 * is non-zero only when a run itself breaks (a job that does not finish, a signature that does not verify).
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--short");
        int items = quick ? 256 : 2000;
        int batch = 32;
        int threads = Runtime.getRuntime().availableProcessors();
        Table table = new Table();
        System.out.printf("Sluice benchmarks (%s mode), %d CPUs, %s %s, max heap %d MiB%n", quick ? "short" : "full",
                threads, System.getProperty("java.vm.name"), System.getProperty("java.version"),
                Runtime.getRuntime().maxMemory() >> 20);

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
        if (!"Finished".equals(pipe.overview()) || pipe.verifiedPosts() != pipe.items()) {
            System.out.println(table.render());
            System.err.println("the benchmark job ended " + pipe.overview() + " with " + pipe.verifiedPosts()
                    + " verified POSTs of " + pipe.items());
            System.exit(1);
        }
        System.out.println();
        System.out.println("Requests during the job: " + pipe.requests());
        System.out.println();
        System.out.println(table.render());
        System.exit(0);
    }

}
