package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.LocalStack;
import dev.sluice.client.SluiceClient;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Table;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.StageWrapper;
import dev.sluice.tables.Tables;
import dev.sluice.testing.OnnxWriter;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Storage-based executions on the local stack (S3Mock buckets): rows per second through a tabular model for each file
 * format (from start to Finished: listing, download, parse, ONNX Runtime, write, upload, settle), and files per second
 * for a folder of small files.
 */
final class ExecutionBench {
    /** rowsPerSecond by format; broken: why a run did not finish, or null. */
    record Result(Map<FileType, Double> rowsPerSecond, int files, int rowsPerFile, double filesPerSecond,
                  int smallFiles, String broken) {
    }

    static Result run(int files, int rowsPerFile, int smallFiles) throws Exception {
        Path tmp = Files.createTempDirectory("sluice-exec-bench");
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.LOCAL,
                List.of(), StageWrapper.NONE, new LocalStack.Access(false, List.of(), List.of("bench-data"))))) {
            SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
            S3Client s3 = stack.clients.s3();
            Path onnx = tmp.resolve("linear.onnx");
            Files.write(onnx, OnnxWriter.linear("features", "scores",
                    new float[][]{{0.5f, -1.25f}, {2f, 0.75f}, {-0.3f, 0.1f}}, new float[]{0.1f, -0.2f}));
            String model = client.uploadModel("linear", "Tabular", onnx, null, Duration.ofSeconds(30)).get("id").asText();
            Tables tables = new Tables();
            Map<FileType, Double> rates = new LinkedHashMap<>();
            String broken = null;
            // a warm-up run, then one run per format
            List<FileType> runs = new ArrayList<>(List.of(FileType.CSV));
            runs.addAll(List.of(FileType.CSV, FileType.PARQUET, FileType.FEATHER));
            for (int r = 0; r < runs.size(); r++) {
                FileType type = runs.get(r);
                String folder = "rows-" + r;
                for (int f = 0; f < (r == 0 ? 1 : files); f++) {
                    Path file = tmp.resolve("f" + f);
                    tables.write(type, rows(r == 0 ? 1000 : rowsPerFile, f), file);
                    String key = folder + "/" + type.rename("part-" + f + ".x");
                    s3.putObject(b -> b.bucket("bench-data").key(key), RequestBody.fromFile(file));
                }
                long start = System.nanoTime();
                JsonNode end = execute(client, model, folder, type, files);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (!"Finished".equals(end.path("status").path("overview").asText())) {
                    broken = "execution over " + type + " files ended " + end.path("status");
                } else if (r > 0) {
                    rates.put(type, (double) files * rowsPerFile / seconds);
                }
            }
            byte[] small = "id,a,b,c\n1,0.5,1.5,2\n2,-1,0,3\n3,4,4,4\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
                for (int i = 0; i < smallFiles; i++) {
                    String key = String.format("small/f-%05d.csv", i);
                    pool.submit(() -> s3.putObject(b -> b.bucket("bench-data").key(key), RequestBody.fromBytes(small)));
                }
            }
            long start = System.nanoTime();
            JsonNode end = execute(client, model, "small", FileType.CSV, 50);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (end.path("status").path("finishedFiles").asLong() != smallFiles) {
                broken = "small files: " + end.path("status");
            }
            return new Result(rates, files, rowsPerFile, smallFiles / seconds, smallFiles, broken);
        } finally {
            try (var paths = Files.walk(tmp)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static JsonNode execute(SluiceClient client, String model, String folder, FileType type, int parallelism) {
        JsonNode started = client.startExecution(Map.of("model", Map.of("id", model), "bucket", "bench-data",
                "sourceFolder", folder, "destinationFolder", "out/" + folder, "inputFileType", type.name(),
                "outputFileType", type.name(), "parallelism", parallelism,
                "parameters", Map.of("featureColumns", "a,b,c", "batchSize", "1024")));
        String id = started.get("id").asText();
        while (true) {
            JsonNode e = client.execution(id);
            if (!e.path("status").path("overview").asText().matches("Pending|Running")) {
                return e;
            }
            SluiceClient.sleep(50);
        }
    }

    private static Table rows(int n, long seed) {
        Random random = new Random(seed);
        List<Table.Column> columns = List.of(new Table.Column("id", Table.Type.INT64),
                new Table.Column("a", Table.Type.FLOAT64), new Table.Column("b", Table.Type.FLOAT64),
                new Table.Column("c", Table.Type.FLOAT64), new Table.Column("note", Table.Type.STRING));
        List<Object[]> rows = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            rows.add(new Object[]{(long) i, random.nextGaussian(), random.nextGaussian() * 10,
                    (double) random.nextInt(100), "customer " + i});
        }
        return new Table(columns, rows);
    }
}
