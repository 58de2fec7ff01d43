package dev.sluice.infra;

import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.constructs.Construct;
import software.constructs.Node;

import java.nio.file.Path;
import java.util.List;

/** The whole system: data, queues, functions, the HTTP API, the GPU pool and its alarms. */
public final class SluiceStack extends Stack {
    /** Context parameters, with the defaults of cdk.json. */
    public record Settings(Path functionsDir, Path repositoryRoot, int inferenceMemorySize, int inferenceTimeoutSeconds,
                           int inferenceMaxConcurrency, int deliveryMaxConcurrency, boolean gpuPool,
                           String gpuInstanceType, int gpuMaxTasks, int gpuBacklogPerTask, String gpuWorkerImage,
                           String alarmEmail, java.util.List<String> executionBuckets,
                           java.util.List<String> itemBuckets) {
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
                    names(node, "executionBuckets"),
                    // the buckets s3:// items may be read from (comma-separated names)
                    names(node, "itemBuckets"));
        }

        /** Comma-separated bucket names, exact (no wildcards: IAM is granted by exactly these names). */
        private static java.util.List<String> names(Node node, String key) {
            java.util.List<String> names = dev.sluice.core.AllowedBuckets.parse(str(node, key, ""));
            for (String name : names) {
                if (!name.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
                    throw new IllegalArgumentException(key + ": " + name + " is not an S3 bucket name");
                }
            }
            return names;
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
        new OperationsDashboard(this, "Operations", queues, functions, observability);
        List<software.amazon.awscdk.services.iam.IRole> roles = new java.util.ArrayList<>(functions.roles());
        if (settings.gpuPool()) {
            roles.add(new GpuPool(this, "GpuPool", settings, data, queues, functions.environment(), observability).taskRole);
        }
        data.onlyFor(roles);
        CfnOutput.Builder.create(this, "ApiUrl").value(api.url()).description("the Sluice API").build();
        CfnOutput.Builder.create(this, "DataBucketName").value(data.bucket.getBucketName()).build();
    }
}
