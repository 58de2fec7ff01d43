package dev.sluice.bench;

import dev.sluice.aws.Components;
import dev.sluice.core.inference.TabularPredictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.ExecutionRunner;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.tables.Tables;

import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * One file task in a JVM of its own, composed as the inference function composes it ({@link Components#forFunction}:
 * its logs and metrics, its resources from this process's environment: the execution's record in DynamoDB, the file and the output in S3, the AWS SDK talking to
 * the emulators) with a Tabular model whose output {@code score} is the float sum of its features (x0 + x1 + x2, in
 * that order). Runs file 0 of the execution, then prints {@code RESULT <ms>}.
 */
public final class StreamedFileTask {
    private StreamedFileTask() {
    }

    /** score = the features' float sum; the model takes 3. */
    static final TabularPredictor SUM = new TabularPredictor() {
        @Override
        public Map<String, float[][]> run(Model model, float[][] features) {
            float[][] out = new float[features.length][1];
            for (int r = 0; r < features.length; r++) {
                for (float f : features[r]) {
                    out[r][0] += f;
                }
            }
            return Map.of("score", out);
        }

        @Override
        public int inputWidth(Model model) {
            return 3;
        }
    };

    /** args: the DynamoDB, SQS and S3 endpoints; the project, execution and file name. */
    public static void main(String[] args) {
        var clients = LocalProvisioner.clients(URI.create(args[0]), URI.create(args[1]), URI.create(args[2]), List.of());
        Components services = Components.forFunction("inference", clients.dynamo(), clients.sqs(), clients.s3(), null);
        ExecutionRunner runner = services.executionRunner(SUM, null, new Tables());
        long start = System.nanoTime();
        runner.run(ExecutionTask.file(args[3], args[4], 0, args[5]));
        System.out.println("RESULT " + (System.nanoTime() - start) / 1_000_000);
        System.exit(0);
    }
}
