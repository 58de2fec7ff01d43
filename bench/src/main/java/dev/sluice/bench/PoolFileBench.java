package dev.sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.cli.LocalStack;
import dev.sluice.client.SluiceClient;
import dev.sluice.execution.Folder;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.StageWrapper;
import dev.sluice.testing.OnnxWriter;
import software.amazon.awssdk.core.sync.RequestBody;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One large Parquet file on a task pool (issue 27), as `sluice local` runs it: a CpuPool execution of one file on the
 * local task worker, the child JVM {@link dev.sluice.cli.LocalTaskWorker} starts with {@code -Xmx<heap>}
 * ({@code sluice.local.taskWorkerHeap}), over the emulators. The file is {@link StreamedFileBench}'s (the same input
 * the Lambda path's row runs), the model an ONNX graph whose {@code score} is the float sum of x0, x1 and x2 left to
 * right ({@link OnnxWriter#sum3}, in ONNX Runtime as every pool model runs), and the output is streamed back from S3
 * and every row checked as the Lambda path's is. Gives rows/s over the worker's own time for the file (its "started"
 * to its "settled" log line) and the peak heap the worker logs with the settled file (the heap in use before each
 * garbage collection, and at the end).
 */
final class PoolFileBench {
    static final String BUCKET = "bench-data";
    private static final Pattern SETTLED = Pattern.compile("heap peak (\\d+) MiB");

    private PoolFileBench() {
    }

    /** Runs the file as file 0 of a CpuPool execution on a task worker of {@code -Xmx<heap>}; checks every row. */
    static StreamedFileBench.Result run(StreamedFileBench.Input input, String heap) throws Exception {
        String before = System.getProperty("sluice.local.taskWorkerHeap");
        System.setProperty("sluice.local.taskWorkerHeap", heap);
        Path onnx = Files.createTempFile("sluice-sum3", ".onnx");
        try (LocalStack stack = LocalStack.start(new LocalStack.Options(0, null, LocalProvisioner.QueueSettings.LOCAL,
                List.of(), StageWrapper.NONE, new LocalStack.Access(false, List.of(), List.of(BUCKET))))) {
            SluiceClient client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
            Files.write(onnx, OnnxWriter.sum3("features", "score"));
            String model = client.uploadModel("sum3", "Tabular", onnx, null, Duration.ofMinutes(2)).get("id").asText();
            stack.clients.s3().putObject(b -> b.bucket(BUCKET).key("pool-in/big.parquet"),
                    RequestBody.fromFile(input.file()));
            JsonNode started = client.startExecution(Map.of("model", Map.of("id", model), "bucket", BUCKET,
                    "sourceFolder", "pool-in", "destinationFolder", "pool-out", "inputFileType", "PARQUET",
                    "outputFileType", "PARQUET", "compute", Map.of("target", "CpuPool", "tasks", 1),
                    "parameters", Map.of("featureColumns", "x0,x1,x2")));
            String id = started.get("id").asText();
            JsonNode end = client.execution(id);
            // until it ends, or the worker ran out of heap (its file would come back for attempt after attempt)
            while (end.path("status").path("overview").asText().matches("Pending|Running")
                    && !Files.readString(stack.taskWorkerLog()).contains("OutOfMemoryError")) {
                SluiceClient.sleep(200);
                end = client.execution(id);
            }
            List<JsonNode> files = client.executionFiles(id);
            // the worker logs the settled file after deleting its message, which may be after the execution ended
            List<String> log = Files.readAllLines(stack.taskWorkerLog()).stream().filter(l -> l.contains(id)).toList();
            for (int wait = 0; "Finished".equals(end.path("status").path("overview").asText())
                    && line(log, "settled file 0 ") == null && wait < 600; wait++) {
                SluiceClient.sleep(100);
                log = Files.readAllLines(stack.taskWorkerLog()).stream().filter(l -> l.contains(id)).toList();
            }
            String startedLine = line(log, "started file 0 ");
            String settledLine = line(log, "settled file 0 ");
            Matcher peak = settledLine == null ? null : SETTLED.matcher(settledLine);
            if (!"Finished".equals(end.path("status").path("overview").asText()) || files.size() != 1
                    || startedLine == null || peak == null || !peak.find()) {
                return new StreamedFileBench.Result(input.rows(), input.bytes(), heap, 0, 0, "the pool execution ended "
                        + end.path("status") + " with files " + files + "; the worker logged " + log);
            }
            double seconds = Duration.between(time(startedLine), time(settledLine)).toMillis() / 1000.0;
            JsonNode file = files.get(0);
            String broken = !"Finished".equals(file.path("status").asText()) || file.path("rows").asLong() != input.rows()
                    || file.path("failedRows").asLong() != 0 ? "the file ended " + file
                    : StreamedFileBench.check(stack.clients.s3(), new Folder(BUCKET, "pool-out"), "big.parquet", input);
            return new StreamedFileBench.Result(input.rows(), input.bytes(), heap, seconds,
                    Long.parseLong(peak.group(1)), broken);
        } finally {
            Files.deleteIfExists(onnx);
            if (before == null) {
                System.clearProperty("sluice.local.taskWorkerHeap");
            } else {
                System.setProperty("sluice.local.taskWorkerHeap", before);
            }
        }
    }

    private static String line(List<String> log, String text) {
        return log.stream().filter(l -> l.contains(text)).findFirst().orElse(null);
    }

    /** A JSON log line's "time" (ISO-8601, milliseconds). */
    private static Instant time(String line) {
        return Instant.parse(dev.sluice.core.Json.tree(line).path("time").asText());
    }
}
