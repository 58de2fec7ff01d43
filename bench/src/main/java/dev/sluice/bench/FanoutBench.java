package dev.sluice.bench;

import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.testing.HandlerFixture;
import software.amazon.awssdk.core.sync.RequestBody;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Fans out an N-line dataset with the fanout service running in a child JVM with a small heap (-Xmx64m), against the
 * emulators of this JVM: time, peak heap and peak RSS of the child, and the number of batch messages it sent.
 */
final class FanoutBench {
    /**
     * batchesSent and failedGather: the job's own counters after the fan-out; batchSize: the job's (the fixture's
     * job, not the jobs' default), which the message count follows.
     */
    record Result(int lines, double seconds, double heapPeakMb, double rssPeakMb, long messages, int invocations,
                  long batchesSent, long failedGather, int batchSize) {
    }

    static Result run(int lines) throws Exception {
        try (HandlerFixture f = new HandlerFixture()) {
            Path file = Files.createTempFile("sluice-fanout", ".ndjson");
            try {
                try (BufferedWriter w = Files.newBufferedWriter(file)) {
                    for (int i = 0; i < lines; i++) {
                        w.write("{\"kind\":\"Image\",\"url\":\"https://images.example.com/photos/" + i + ".jpg\",\"id\":\"" + i + "\"}\n");
                    }
                }
                String key = Dataset.objectKey(HandlerFixture.PROJECT, HandlerFixture.DATASET);
                var put = f.clients.s3().putObject(b -> b.bucket(f.config.bucket()).key(key), RequestBody.fromFile(file));
                f.services.catalog().put(HandlerFixture.PROJECT, HandlerFixture.DATASET, new Dataset(HandlerFixture.DATASET,
                        Dataset.OBJECT, "bench", HandlerFixture.PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                        new Dataset.Status(Dataset.State.Ready, null, (long) lines, Files.size(file), put.eTag(), null), 0, 0));
            } finally {
                Files.deleteIfExists(file);
            }
            f.job(lines, null);
            f.services.queue().send(dev.sluice.core.pipeline.BatchQueue.Name.FANOUT,
                    FanoutMessage.fanOut(HandlerFixture.JOB, 0, 0).envelope(), 0);

            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx64m", "-cp", System.getProperty("java.class.path"), FanoutProbe.class.getName(),
                    f.emulators.dynamoEndpoint.toString(), f.emulators.sqsEndpoint.toString(), f.emulators.s3Endpoint.toString()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.putAll(f.config.toEnv());
            Process child = pb.start();
            String result = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (line.startsWith("RESULT ")) {
                        result = line;
                    }
                }
            }
            if (child.waitFor() != 0 || result == null) {
                throw new IllegalStateException("the fan-out probe failed (exit " + child.exitValue() + ")");
            }
            String[] p = result.split(" ");
            long messages = Long.parseLong(f.clients.sqs().getQueueAttributes(b -> b.queueUrl(f.config.inferenceQueueUrl())
                    .attributeNamesWithStrings("ApproximateNumberOfMessages")).attributesAsStrings()
                    .get("ApproximateNumberOfMessages"));
            var job = f.services.jobStore().get(HandlerFixture.JOB).orElseThrow();
            long sent = job.status().progress() == null ? 0 : job.status().progress().batchesDone() + job.status().progress().batchesQueued();
            return new Result(lines, Double.parseDouble(p[1]) / 1000, Double.parseDouble(p[2]), Double.parseDouble(p[3]),
                    messages, Integer.parseInt(p[4]), sent, job.status().items().failedGather(),
                    job.spec().batchSize() == null ? dev.sluice.core.job.JobSpec.DEFAULT_BATCH_SIZE : job.spec().batchSize());
        }
    }
}
