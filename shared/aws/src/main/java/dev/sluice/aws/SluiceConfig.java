package dev.sluice.aws;

import java.util.Map;

/**
 * Resource names, from the environment variables that CDK and SAM set (and `sluice local` sets for itself).
 * No table, queue or bucket name is written in code.
 *
 * @param itemBuckets      buckets {@code s3://} items may be read from ({@code SLUICE_ITEM_BUCKETS}, comma-separated)
 * @param executionBuckets buckets executions may list, read and write with the functions' role
 *                         ({@code SLUICE_EXECUTION_BUCKETS}); executions naming stored credentials reach any bucket
 *                         those credentials reach
 * @param secretsBackend   where stored secrets are read ({@code SLUICE_SECRETS_BACKEND}): Secrets Manager on AWS (the
 *                         default), files ({@link LocalSecrets}) for `sluice local` and the tests. Its own setting:
 *                         {@code allowLocalUrls} says nothing about it
 * @param eventBusName     the EventBridge bus job events are put on ({@code SLUICE_EVENT_BUS_NAME}, set by CDK and SAM
 *                         to {@code default}); null: job events go to the log only ({@code sluice local})
 */
public record SluiceConfig(String jobsTable, String catalogTable, String keysTable, String ledgerTable,
                           String logsTable, String fanoutQueueUrl, String inferenceQueueUrl,
                           String deliveryQueueUrl, String inferenceGpuQueueUrl, String bucket,
                           boolean allowLocalUrls, java.util.List<String> itemBuckets,
                           java.util.List<String> executionBuckets, SecretsBackend secretsBackend,
                           String eventBusName, Pools pools) {
    /** Without task pools. */
    public SluiceConfig(String jobsTable, String catalogTable, String keysTable, String ledgerTable,
                        String logsTable, String fanoutQueueUrl, String inferenceQueueUrl,
                        String deliveryQueueUrl, String inferenceGpuQueueUrl, String bucket,
                        boolean allowLocalUrls, java.util.List<String> itemBuckets,
                        java.util.List<String> executionBuckets, SecretsBackend secretsBackend, String eventBusName) {
        this(jobsTable, catalogTable, keysTable, ledgerTable, logsTable, fanoutQueueUrl, inferenceQueueUrl,
                deliveryQueueUrl, inferenceGpuQueueUrl, bucket, allowLocalUrls, itemBuckets, executionBuckets,
                secretsBackend, eventBusName, Pools.NONE);
    }

    /**
     * The task pools executions may run on (issue 27), and the instances each target offers.
     *
     * @param taskQueueUrls   pool queue ({@link dev.sluice.core.pipeline.BatchQueue.Name#isPoolTasks()}) → URL, from
     *                        {@code SLUICE_<NAME>_QUEUE_URL} (e.g. {@code SLUICE_CPU_SPOT_TASKS_QUEUE_URL}); a pool
     *                        the deployment does not have has none
     * @param lambdaInstances the inference function's memory sizes in MiB ({@code SLUICE_LAMBDA_INSTANCES},
     *                        comma-separated; default: the CDK app's default size,
     *                        {@link dev.sluice.core.usage.LambdaSizing#deployedDefault()}); the first is the default
     *                        instance
     * @param gpuInstances    the GPU pool's EC2 instance types ({@code SLUICE_GPU_INSTANCES})
     * @param cpuInstances    the CPU pool's Fargate sizes ({@code SLUICE_CPU_INSTANCES}, e.g. {@code 2vcpu-4gb})
     */
    public record Pools(java.util.Map<dev.sluice.core.pipeline.BatchQueue.Name, String> taskQueueUrls,
                        java.util.List<String> lambdaInstances, java.util.List<String> gpuInstances,
                        java.util.List<String> cpuInstances) {
        public static final Pools NONE = new Pools(Map.of(), java.util.List.of(
                Integer.toString(dev.sluice.core.usage.LambdaSizing.deployedDefault().size().memoryMb())), java.util.List.of(),
                java.util.List.of());

        public Pools {
            taskQueueUrls = Map.copyOf(taskQueueUrls);
            lambdaInstances = java.util.List.copyOf(lambdaInstances);
            gpuInstances = java.util.List.copyOf(gpuInstances);
            cpuInstances = java.util.List.copyOf(cpuInstances);
        }

        /** The environment variable of a pool queue's URL. */
        public static String variable(dev.sluice.core.pipeline.BatchQueue.Name queue) {
            return "SLUICE_" + queue.name() + "_QUEUE_URL";
        }

        static Pools fromEnv(Map<String, String> env) {
            Map<dev.sluice.core.pipeline.BatchQueue.Name, String> urls = new java.util.EnumMap<>(
                    dev.sluice.core.pipeline.BatchQueue.Name.class);
            for (var name : dev.sluice.core.pipeline.BatchQueue.Name.values()) {
                String url = env.get(variable(name));
                if (name.isPoolTasks() && url != null && !url.isBlank()) {
                    urls.put(name, url);
                }
            }
            java.util.List<String> lambda = dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_LAMBDA_INSTANCES"));
            return new Pools(urls, lambda.isEmpty() ? NONE.lambdaInstances() : lambda,
                    dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_GPU_INSTANCES")),
                    dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_CPU_INSTANCES")));
        }

        void toEnv(Map<String, String> env) {
            taskQueueUrls.forEach((name, url) -> env.put(variable(name), url));
            env.put("SLUICE_LAMBDA_INSTANCES", String.join(",", lambdaInstances));
            if (!gpuInstances.isEmpty()) {
                env.put("SLUICE_GPU_INSTANCES", String.join(",", gpuInstances));
            }
            if (!cpuInstances.isEmpty()) {
                env.put("SLUICE_CPU_INSTANCES", String.join(",", cpuInstances));
            }
        }
    }

    /** Without an event bus: job events go to the log only. */
    public SluiceConfig(String jobsTable, String catalogTable, String keysTable, String ledgerTable,
                        String logsTable, String fanoutQueueUrl, String inferenceQueueUrl,
                        String deliveryQueueUrl, String inferenceGpuQueueUrl, String bucket,
                        boolean allowLocalUrls, java.util.List<String> itemBuckets,
                        java.util.List<String> executionBuckets, SecretsBackend secretsBackend) {
        this(jobsTable, catalogTable, keysTable, ledgerTable, logsTable, fanoutQueueUrl, inferenceQueueUrl,
                deliveryQueueUrl, inferenceGpuQueueUrl, bucket, allowLocalUrls, itemBuckets, executionBuckets,
                secretsBackend, null);
    }

    public SluiceConfig {
        itemBuckets = java.util.List.copyOf(itemBuckets);
        executionBuckets = java.util.List.copyOf(executionBuckets);
        java.util.Objects.requireNonNull(secretsBackend, "secretsBackend");
        pools = pools == null ? Pools.NONE : pools;
    }

    /** Where stored secrets (executions' access keys) are read; the value of {@code SLUICE_SECRETS_BACKEND}. */
    public enum SecretsBackend {
        /** AWS Secrets Manager, with the function's role (a client made on first read only). */
        SECRETS_MANAGER("secrets-manager"),
        /** One file per secret under {@code SLUICE_SECRETS_DIR} (else {@code ~/.sluice/secrets}): see {@link LocalSecrets}. */
        FILES("files");

        private final String value;

        SecretsBackend(String value) {
            this.value = value;
        }

        /** The setting's spelling in the environment. */
        public String value() {
            return value;
        }

        /** @throws IllegalStateException naming the variable and the accepted values when text is neither */
        public static SecretsBackend parse(String text) {
            for (SecretsBackend b : values()) {
                if (b.value.equals(text)) {
                    return b;
                }
            }
            throw new IllegalStateException("SLUICE_SECRETS_BACKEND is \"" + text + "\"; it is one of secrets-manager"
                    + " (the default) or files");
        }
    }

    /** The variables every function needs (SLUICE_INFERENCE_GPU_QUEUE_URL is optional: only with a GPU pool). */
    public static final java.util.List<String> REQUIRED_ENV = java.util.List.of("SLUICE_JOBS_TABLE",
            "SLUICE_CATALOG_TABLE", "SLUICE_KEYS_TABLE", "SLUICE_LEDGER_TABLE", "SLUICE_LOGS_TABLE",
            "SLUICE_FANOUT_QUEUE_URL", "SLUICE_INFERENCE_QUEUE_URL", "SLUICE_DELIVERY_QUEUE_URL", "SLUICE_BUCKET");

    /** The variables read here that may be left out (each has a default; see README's Configuration). */
    public static final java.util.List<String> OPTIONAL_ENV = java.util.List.of("SLUICE_INFERENCE_GPU_QUEUE_URL",
            "SLUICE_ALLOW_LOCAL_URLS", "SLUICE_ITEM_BUCKETS", "SLUICE_EXECUTION_BUCKETS", "SLUICE_SECRETS_BACKEND", "SLUICE_EVENT_BUS_NAME",
            "SLUICE_GPU_TASKS_QUEUE_URL", "SLUICE_GPU_SPOT_TASKS_QUEUE_URL", "SLUICE_CPU_TASKS_QUEUE_URL",
            "SLUICE_CPU_SPOT_TASKS_QUEUE_URL", "SLUICE_LAMBDA_INSTANCES", "SLUICE_GPU_INSTANCES", "SLUICE_CPU_INSTANCES",
            // read by Components (the principals GET /execution-role names) and AssumedRoles (STS elsewhere than AWS's)
            Components.ROLE_PRINCIPALS, AssumedRoles.ENDPOINT_VARIABLE);

    public static SluiceConfig fromEnv(Map<String, String> env) {
        return new SluiceConfig(
                require(env, "SLUICE_JOBS_TABLE"), require(env, "SLUICE_CATALOG_TABLE"),
                require(env, "SLUICE_KEYS_TABLE"), require(env, "SLUICE_LEDGER_TABLE"),
                require(env, "SLUICE_LOGS_TABLE"), require(env, "SLUICE_FANOUT_QUEUE_URL"),
                require(env, "SLUICE_INFERENCE_QUEUE_URL"), require(env, "SLUICE_DELIVERY_QUEUE_URL"),
                env.get("SLUICE_INFERENCE_GPU_QUEUE_URL"), require(env, "SLUICE_BUCKET"),
                Boolean.parseBoolean(env.getOrDefault("SLUICE_ALLOW_LOCAL_URLS", "false")),
                dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_ITEM_BUCKETS")),
                dev.sluice.core.AllowedBuckets.parse(env.get("SLUICE_EXECUTION_BUCKETS")),
                SecretsBackend.parse(env.getOrDefault("SLUICE_SECRETS_BACKEND", SecretsBackend.SECRETS_MANAGER.value())),
                env.get("SLUICE_EVENT_BUS_NAME"), Pools.fromEnv(env));
    }

    /** The environment a function needs, as CDK, SAM and the local stack write it. */
    public Map<String, String> toEnv() {
        Map<String, String> env = new java.util.HashMap<>(Map.of("SLUICE_JOBS_TABLE", jobsTable, "SLUICE_CATALOG_TABLE", catalogTable,
                "SLUICE_KEYS_TABLE", keysTable, "SLUICE_LEDGER_TABLE", ledgerTable, "SLUICE_LOGS_TABLE", logsTable,
                "SLUICE_FANOUT_QUEUE_URL", fanoutQueueUrl, "SLUICE_INFERENCE_QUEUE_URL", inferenceQueueUrl,
                "SLUICE_DELIVERY_QUEUE_URL", deliveryQueueUrl, "SLUICE_BUCKET", bucket,
                "SLUICE_ALLOW_LOCAL_URLS", Boolean.toString(allowLocalUrls)));
        env.put("SLUICE_ITEM_BUCKETS", String.join(",", itemBuckets));
        env.put("SLUICE_EXECUTION_BUCKETS", String.join(",", executionBuckets));
        env.put("SLUICE_SECRETS_BACKEND", secretsBackend.value());
        if (inferenceGpuQueueUrl != null) {
            env.put("SLUICE_INFERENCE_GPU_QUEUE_URL", inferenceGpuQueueUrl);
        }
        pools.toEnv(env);
        return env;
    }

    /** The same configuration with these allowed buckets (`sluice local` and the tests choose theirs). */
    public SluiceConfig withBuckets(java.util.List<String> items, java.util.List<String> executions) {
        return new SluiceConfig(jobsTable, catalogTable, keysTable, ledgerTable, logsTable, fanoutQueueUrl,
                inferenceQueueUrl, deliveryQueueUrl, inferenceGpuQueueUrl, bucket, allowLocalUrls, items, executions,
                secretsBackend, eventBusName, pools);
    }

    /** The same configuration with these task pools (`sluice local` provisions its own). */
    public SluiceConfig withPools(Pools pools) {
        return new SluiceConfig(jobsTable, catalogTable, keysTable, ledgerTable, logsTable, fanoutQueueUrl,
                inferenceQueueUrl, deliveryQueueUrl, inferenceGpuQueueUrl, bucket, allowLocalUrls, itemBuckets,
                executionBuckets, secretsBackend, eventBusName, pools);
    }

    /** The buckets {@code s3://} items may be read from (never the data bucket). */
    public dev.sluice.core.AllowedBuckets allowedItemBuckets() {
        return new dev.sluice.core.AllowedBuckets(new java.util.HashSet<>(itemBuckets), bucket);
    }

    /** The buckets executions may reach with the functions' role (never the data bucket). */
    public dev.sluice.core.AllowedBuckets allowedExecutionBuckets() {
        return new dev.sluice.core.AllowedBuckets(new java.util.HashSet<>(executionBuckets), bucket);
    }

    private static String require(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is not set");
        }
        return value;
    }
}
