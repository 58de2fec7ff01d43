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
                           java.util.List<String> itemBuckets,
                           java.util.Map<HttpApiFront.Limit, HttpApiFront.Throttle> apiThrottles, boolean waf,
                           boolean cpuPool, String cpuTaskSize, int cpuMaxTasks, int taskSlots) {
        static Settings from(Construct scope) {
            Node node = scope.getNode();
            Path functions = Path.of(str(node, "functionsDir", "../functions"));
            return new Settings(functions, functions.toAbsolutePath().getParent(),
                    num(node, "inferenceMemorySize", Functions.INFERENCE_DEFAULT.size().memoryMb()), num(node, "inferenceTimeoutSeconds", 900),
                    num(node, "inferenceMaxConcurrency", 50), num(node, "deliveryMaxConcurrency", 20),
                    // opt-in: the pool's VPC has a NAT gateway that costs money while idle (issue 28)
                    Boolean.parseBoolean(str(node, "gpuPool", "false")), str(node, "gpuInstanceType", "g4dn.xlarge"),
                    num(node, "gpuMaxTasks", 4), num(node, "gpuBacklogPerTask", 100),
                    str(node, "gpuWorkerImage", null), str(node, "alarmEmail", null),
                    // the users' buckets that executions read and write (comma-separated names)
                    names(node, "executionBuckets"),
                    // the buckets s3:// items may be read from (comma-separated names)
                    names(node, "itemBuckets"),
                    // each route class's steady requests per second and burst (API Gateway quotas are per account and
                    // region: these keep one deployment's clients from exhausting them): HttpApiFront.Limit
                    HttpApiFront.throttles(node::tryGetContext),
                    Boolean.parseBoolean(str(node, "waf", "false")),
                    // the CPU task pool (issue 27): opt-in for the same reason as the GPU pool (its VPC)
                    Boolean.parseBoolean(str(node, "cpuPool", "false")), str(node, "cpuTaskSize", "2vcpu-4gb"),
                    num(node, "cpuMaxTasks", 10), num(node, "taskSlots", 2));
        }

        /** The CPU pool's Fargate task size: {@code <n>vcpu-<m>gb}, as vCPU units (1024 per vCPU) and MiB. */
        int[] cpuTaskUnits() {
            var m = java.util.regex.Pattern.compile("(\\d+)vcpu-(\\d+)gb").matcher(cpuTaskSize);
            if (!m.matches()) {
                throw new IllegalArgumentException("cpuTaskSize: " + cpuTaskSize + " is not <n>vcpu-<m>gb (e.g. 2vcpu-4gb)");
            }
            return new int[]{Integer.parseInt(m.group(1)) * 1024, Integer.parseInt(m.group(2)) * 1024};
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
        HttpApiFront api = new HttpApiFront(this, "Api", functions.api, settings);
        Observability observability = new Observability(this, "Observability", settings);
        observability.alarmOnDeadLetters(queues);
        observability.alarmOnErrors(functions);
        new OperationsDashboard(this, "Operations", queues, functions, observability);
        List<software.amazon.awscdk.services.iam.IRole> taskRoles = new java.util.ArrayList<>();
        GpuPool gpu = settings.gpuPool()
                ? new GpuPool(this, "GpuPool", settings, data, queues, functions.environment(), observability) : null;
        if (gpu != null) {
            taskRoles.add(gpu.taskRole);
            taskRoles.add(gpu.spotTaskRole);
        }
        CpuPool cpu = null;
        // one VPC (and NAT gateway) for both pools: the GPU pool's when deployed
        software.amazon.awscdk.services.ec2.Vpc cpuVpc = !settings.cpuPool() || gpu != null ? null
                : software.amazon.awscdk.services.ec2.Vpc.Builder.create(this, "PoolVpc").maxAzs(2).natGateways(1).build();
        if (settings.cpuPool()) {
            cpu = new CpuPool(this, "CpuPool", settings, gpu != null ? gpu.vpc : cpuVpc, data, queues,
                    functions.environment());
            taskRoles.addAll(cpu.taskRoles);
        }
        List<software.amazon.awscdk.services.iam.IRole> roles = new java.util.ArrayList<>(functions.roles());
        roles.addAll(taskRoles);
        data.onlyFor(roles);
        outputs(api, data, queues, observability);
        output("ExecutionRolePrincipals", functions.rolePrincipals(taskRoles), "the roles that assume an execution's iamRoleArn:"
                + " the Principal of the trust policy users add (README: Executions, a role of yours)");
        Checks.suppressJustified(this, settings, data, functions, api, gpu);
        if (cpu != null) {
            Checks.cpuPool(this, settings, data, cpu, cpuVpc);
        }
    }

    /**
     * Every name an operator needs (issue 28): `./sluice deploy` reads these from the stack, and `sluice admin` needs
     * the keys and catalog tables to create projects and keys with the deployer's credentials.
     */
    private void outputs(HttpApiFront api, DataStore data, WorkQueues queues, Observability observability) {
        output("ApiUrl", api.url(), "the Sluice API (append /v1)");
        output("DataBucketName", data.bucket.getBucketName(), "the data bucket (datasets, models, results); retained");
        output("JobsTable", data.jobs.getTableName(), "jobs; retained");
        output("CatalogTable", data.catalog.getTableName(), "projects' records: sluice admin --catalog-table; retained");
        output("KeysTable", data.keys.getTableName(), "API keys by hash: sluice admin --keys-table; retained");
        output("LedgerTable", data.ledger.getTableName(), "items' exactly-once ledger; retained");
        output("LogsTable", data.logs.getTableName(), "jobs' logs; retained");
        output("FanoutQueueUrl", queues.fanout.getQueueUrl(), "fan-out queue");
        output("InferenceQueueUrl", queues.inference.getQueueUrl(), "inference queue (Lambda)");
        output("InferenceGpuQueueUrl", queues.inferenceGpu.getQueueUrl(), "inference queue (GPU pool)");
        output("DeliveryQueueUrl", queues.delivery.getQueueUrl(), "delivery queue");
        queues.poolTasks.forEach((name, q) -> output(WorkQueues.id(name) + "QueueUrl", q.getQueueUrl(),
                "executions' file tasks of a task pool (" + name + ")"));
        queues.deadLetters.forEach((name, dlq) -> output(name + "DlqUrl", dlq.getQueueUrl(),
                "dead letters of the " + name + " queue (the scheduler drains and accounts them)"));
        output("AlarmTopicArn", observability.topicArn(), "SNS topic of every alarm: subscribe to it");
        output("ApiAccessLogGroup", api.accessLogGroupName(), "the API's JSON access logs");
    }

    private void output(String id, String value, String description) {
        CfnOutput.Builder.create(this, id).value(value).description(description).build();
    }
}
