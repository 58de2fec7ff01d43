package dev.sluice.infra;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;
import software.constructs.Node;

import java.nio.file.Path;

/** The whole system: data, queues, functions, the HTTP API, the GPU pool and its alarms. */
public final class SluiceStack extends Stack {
    /** Context parameters, with the defaults of cdk.json. */
    public record Settings(Path functionsDir, Path repositoryRoot, int inferenceMemorySize, int inferenceTimeoutSeconds,
                           int inferenceMaxConcurrency, int deliveryMaxConcurrency, boolean gpuPool,
                           String gpuInstanceType, int gpuMaxTasks, int gpuBacklogPerTask, String gpuWorkerImage,
                           String alarmEmail, java.util.List<String> executionBuckets) {
        static Settings from(Construct scope) {
            Node node = scope.getNode();
            Path functions = Path.of(str(node, "functionsDir", "../functions"));
            return new Settings(functions, functions.toAbsolutePath().getParent(),
                    num(node, "inferenceMemorySize", 3538), num(node, "inferenceTimeoutSeconds", 300),
                    num(node, "inferenceMaxConcurrency", 50), num(node, "deliveryMaxConcurrency", 20),
                    Boolean.parseBoolean(str(node, "gpuPool", "true")), str(node, "gpuInstanceType", "g4dn.xlarge"),
                    num(node, "gpuMaxTasks", 4), num(node, "gpuBacklogPerTask", 100),
                    str(node, "gpuWorkerImage", null), str(node, "alarmEmail", null),
                    // the users' buckets that executions read and write (comma-separated names)
                    java.util.Arrays.stream(str(node, "executionBuckets", "").split(",")).map(String::trim)
                            .filter(b -> !b.isEmpty()).toList());
        }

        private static String str(Node node, String key, String fallback) {
            Object v = node.tryGetContext(key);
            return v == null ? fallback : v.toString();
        }

        private static int num(Node node, String key, int fallback) {
            Object v = node.tryGetContext(key);
            return v == null ? fallback : (int) Double.parseDouble(v.toString());
        }
    }

    public SluiceStack(Construct scope, String id, StackProps props, Settings settings) {
        super(scope, id, props);
        DataStore data = new DataStore(this, "Data");
        WorkQueues queues = new WorkQueues(this, "Queues", settings);
        Functions functions = new Functions(this, "Functions", settings, data, queues);
        HttpApiFront api = new HttpApiFront(this, "Api", functions.api);
        Observability observability = new Observability(this, "Observability", settings);
        observability.alarmOnDeadLetters(queues);
        observability.alarmOnErrors(functions);
        if (settings.gpuPool()) {
            new GpuPool(this, "GpuPool", settings, data, queues, functions.environment(), observability);
        }
        CfnOutput.Builder.create(this, "ApiUrl").value(api.url()).description("the Sluice API").build();
        CfnOutput.Builder.create(this, "DataBucketName").value(data.bucket.getBucketName()).build();
    }
}
