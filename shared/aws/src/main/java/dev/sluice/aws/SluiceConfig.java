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
                           String eventBusName) {
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
                env.get("SLUICE_EVENT_BUS_NAME"));
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
        return env;
    }

    /** The same configuration with these allowed buckets (`sluice local` and the tests choose theirs). */
    public SluiceConfig withBuckets(java.util.List<String> items, java.util.List<String> executions) {
        return new SluiceConfig(jobsTable, catalogTable, keysTable, ledgerTable, logsTable, fanoutQueueUrl,
                inferenceQueueUrl, deliveryQueueUrl, inferenceGpuQueueUrl, bucket, allowLocalUrls, items, executions,
                secretsBackend);
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
