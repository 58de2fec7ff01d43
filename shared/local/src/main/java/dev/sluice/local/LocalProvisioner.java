package dev.sluice.local;

import dev.sluice.aws.DynamoJobStore;
import dev.sluice.aws.SluiceConfig;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * SDK clients for the emulators, and the tables, queues (each with its DLQ) and bucket that CDK and SAM create on
 * AWS, created the same way here.
 */
public final class LocalProvisioner {
    /** Visibility timeouts (s) per queue and how many receives send a message to its DLQ. */
    public record QueueSettings(int fanoutVisibility, int inferenceVisibility, int deliveryVisibility,
                                int maxReceiveCount, int deliveryMaxReceiveCount) {
        /** As on AWS: at least 6x the consumer's timeout (60 s fan-out and delivery, 120 s inference). */
        public static final QueueSettings LOCAL = new QueueSettings(360, 720, 360, 5, 16);
        /** Short visibility so redelivery tests run in seconds. */
        public static final QueueSettings TEST = new QueueSettings(20, 20, 20, 5, 16);
    }

    public record Clients(DynamoDbClient dynamo, SqsClient sqs, S3Client s3, S3Presigner presigner) {
    }

    private LocalProvisioner() {
    }

    public static Clients clients(EmulatorStack stack, List<ExecutionInterceptor> interceptors) {
        return clients(stack.dynamoEndpoint, stack.sqsEndpoint, stack.s3Endpoint, interceptors);
    }

    public static Clients clients(URI dynamoEndpoint, URI sqsEndpoint, URI s3Endpoint,
                                  List<ExecutionInterceptor> interceptors) {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local"));
        // the functions' usage counting first, as on Lambda (quarkus.<svc>.interceptors), then the caller's
        List<ExecutionInterceptor> all = new ArrayList<>();
        all.add(new dev.sluice.aws.observe.UsageInterceptor());
        all.addAll(interceptors);
        ClientOverrideConfiguration overrides = ClientOverrideConfiguration.builder()
                .executionInterceptors(all).build();
        DynamoDbClient dynamo = DynamoDbClient.builder().endpointOverride(dynamoEndpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides).build();
        SqsClient sqs = SqsClient.builder().endpointOverride(sqsEndpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(overrides).build();
        S3Configuration pathStyle = S3Configuration.builder().pathStyleAccessEnabled(true).build();
        S3Client s3 = S3Client.builder().endpointOverride(s3Endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).httpClient(UrlConnectionHttpClient.create())
                .serviceConfiguration(pathStyle).overrideConfiguration(overrides).build();
        S3Presigner presigner = S3Presigner.builder().endpointOverride(s3Endpoint).region(Region.US_EAST_1)
                .credentialsProvider(credentials).serviceConfiguration(pathStyle).build();
        return new Clients(dynamo, sqs, s3, presigner);
    }

    /**
     * Creates every resource; returns the configuration the functions read from their environment (in local mode, no
     * item or execution bucket allowed yet: see {@link SluiceConfig#withBuckets}). Resources that exist already (a
     * stack restarted on its data directory) are kept as they are.
     */
    public static SluiceConfig provision(Clients c, String prefix, QueueSettings queues, boolean allowLocalUrls) {
        createTable(c.dynamo(), prefix + "jobs", "jobId", null, true);
        createTable(c.dynamo(), prefix + "catalog", "projectId", "id", false);
        addSweepIndex(c.dynamo(), prefix + "catalog");
        createTable(c.dynamo(), prefix + "keys", "keyHash", null, false);
        createTable(c.dynamo(), prefix + "ledger", "jobId", "entry", false);
        createTable(c.dynamo(), prefix + "logs", "jobId", "sk", false);
        String fanout = createQueue(c.sqs(), prefix + "fanout", queues.fanoutVisibility(), queues.maxReceiveCount());
        String inference = createQueue(c.sqs(), prefix + "inference-cpu", queues.inferenceVisibility(),
                queues.maxReceiveCount());
        String delivery = createQueue(c.sqs(), prefix + "delivery", queues.deliveryVisibility(),
                queues.deliveryMaxReceiveCount());
        String gpu = createQueue(c.sqs(), prefix + "inference-gpu", queues.inferenceVisibility(),
                queues.maxReceiveCount());
        // the task pools' queues (issue 27): the local task worker takes executions' files from each of them
        java.util.Map<dev.sluice.core.pipeline.BatchQueue.Name, String> pools = new java.util.EnumMap<>(
                dev.sluice.core.pipeline.BatchQueue.Name.class);
        for (var name : dev.sluice.core.pipeline.BatchQueue.Name.values()) {
            if (name.isPoolTasks()) {
                pools.put(name, createQueue(c.sqs(), prefix + name.name().toLowerCase(java.util.Locale.ROOT)
                        .replace('_', '-'), queues.inferenceVisibility(), queues.maxReceiveCount()));
            }
        }
        String bucket = prefix + "data";
        createBuckets(c.s3(), List.of(bucket));
        return new SluiceConfig(prefix + "jobs", prefix + "catalog", prefix + "keys", prefix + "ledger",
                prefix + "logs", fanout, inference, delivery, gpu, bucket, allowLocalUrls, List.of(), List.of(),
                SluiceConfig.SecretsBackend.FILES).withPools(new SluiceConfig.Pools(pools, SluiceConfig.Pools.NONE.lambdaInstances(),
                List.of(LOCAL_INSTANCE), List.of(LOCAL_INSTANCE)));
    }

    /** The one instance of each local pool: this machine. */
    public static final String LOCAL_INSTANCE = "local";

    /**
     * Creates each bucket that does not exist yet in the local S3 (a restarted stack's buckets and objects are kept):
     * the data bucket, and the item and execution buckets {@code sluice local} allows, so that a user can put
     * {@code s3://} items and read S3 destinations and execution folders there without finding S3Mock first.
     */
    public static void createBuckets(S3Client s3, java.util.Collection<String> buckets) {
        for (String bucket : buckets) {
            try {
                s3.createBucket(b -> b.bucket(bucket));
            } catch (software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException
                     | software.amazon.awssdk.services.s3.model.BucketAlreadyExistsException kept) {
                // a restarted stack: its objects are in the bucket
            }
        }
    }

    /**
     * A project's first key, put in the keys table as README's "The first job" bootstraps a project on AWS (hash,
     * project, prefix, createTime; no catalog record, so it is not listed).
     */
    public static void bootstrapKey(DynamoDbClient dynamo, SluiceConfig config, String projectId, String key) {
        dynamo.putItem(b -> b.tableName(config.keysTable()).item(Map.of(
                "keyHash", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(
                        dev.sluice.core.auth.ApiKeys.hash(key)),
                "projectId", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(projectId),
                "prefix", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(key.substring(0, 8)),
                "createTime", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN("0"))));
    }

    private static void createTable(DynamoDbClient dynamo, String name, String hashKey, String rangeKey,
                                    boolean byProjectIndex) {
        List<AttributeDefinition> attributes = new ArrayList<>();
        List<KeySchemaElement> keys = new ArrayList<>();
        attributes.add(AttributeDefinition.builder().attributeName(hashKey).attributeType(ScalarAttributeType.S).build());
        keys.add(KeySchemaElement.builder().attributeName(hashKey).keyType(KeyType.HASH).build());
        if (rangeKey != null) {
            attributes.add(AttributeDefinition.builder().attributeName(rangeKey).attributeType(ScalarAttributeType.S).build());
            keys.add(KeySchemaElement.builder().attributeName(rangeKey).keyType(KeyType.RANGE).build());
        }
        var request = software.amazon.awssdk.services.dynamodb.model.CreateTableRequest.builder().tableName(name)
                .billingMode(BillingMode.PAY_PER_REQUEST).keySchema(keys);
        if (byProjectIndex) {
            attributes.add(AttributeDefinition.builder().attributeName("projectId").attributeType(ScalarAttributeType.S).build());
            attributes.add(AttributeDefinition.builder().attributeName(DynamoJobStore.ACTIVE).attributeType(ScalarAttributeType.S).build());
            request.globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName(DynamoJobStore.BY_PROJECT)
                    .keySchema(KeySchemaElement.builder().attributeName("projectId").keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName("jobId").keyType(KeyType.RANGE).build())
                    .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build(),
                    GlobalSecondaryIndex.builder().indexName(DynamoJobStore.BY_ACTIVE)
                    .keySchema(KeySchemaElement.builder().attributeName(DynamoJobStore.ACTIVE).keyType(KeyType.HASH).build(),
                            KeySchemaElement.builder().attributeName("jobId").keyType(KeyType.RANGE).build())
                    .projection(Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build()).build());
        }
        try {
            dynamo.createTable(request.attributeDefinitions(attributes).build());
        } catch (software.amazon.awssdk.services.dynamodb.model.ResourceInUseException kept) {
            // a restarted stack: the table and its items are there
        }
    }

    /**
     * The catalog's sparse sweep index (DynamoCatalog.BY_SWEEP), added to a table that a stack restarted on an older
     * data directory created without it.
     */
    private static void addSweepIndex(DynamoDbClient dynamo, String table) {
        var described = dynamo.describeTable(b -> b.tableName(table)).table();
        if (described.hasGlobalSecondaryIndexes() && described.globalSecondaryIndexes().stream()
                .anyMatch(i -> i.indexName().equals(dev.sluice.aws.DynamoCatalog.BY_SWEEP))) {
            return;
        }
        dynamo.updateTable(b -> b.tableName(table).attributeDefinitions(
                        AttributeDefinition.builder().attributeName(dev.sluice.aws.DynamoCatalog.SWEEP).attributeType(ScalarAttributeType.S).build(),
                        AttributeDefinition.builder().attributeName(dev.sluice.aws.DynamoCatalog.SWEEP_AT).attributeType(ScalarAttributeType.N).build())
                .globalSecondaryIndexUpdates(software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate.builder()
                        .create(software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction.builder()
                                .indexName(dev.sluice.aws.DynamoCatalog.BY_SWEEP)
                                .keySchema(KeySchemaElement.builder().attributeName(dev.sluice.aws.DynamoCatalog.SWEEP).keyType(KeyType.HASH).build(),
                                        KeySchemaElement.builder().attributeName(dev.sluice.aws.DynamoCatalog.SWEEP_AT).keyType(KeyType.RANGE).build())
                                .projection(Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build()).build())
                        .build()));
    }

    private static String createQueue(SqsClient sqs, String name, int visibility, int maxReceiveCount) {
        String dlqUrl = sqs.createQueue(b -> b.queueName(name + "-dlq")
                .attributes(Map.of(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "1209600"))).queueUrl();
        String dlqArn = sqs.getQueueAttributes(b -> b.queueUrl(dlqUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        return sqs.createQueue(b -> b.queueName(name).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Integer.toString(visibility),
                QueueAttributeName.REDRIVE_POLICY, "{\"deadLetterTargetArn\":\"" + dlqArn
                        + "\",\"maxReceiveCount\":\"" + maxReceiveCount + "\"}"))).queueUrl();
    }

}
