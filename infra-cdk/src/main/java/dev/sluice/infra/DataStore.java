package dev.sluice.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.BillingMode;
import software.amazon.awscdk.services.dynamodb.GlobalSecondaryIndexProps;
import software.amazon.awscdk.services.dynamodb.PointInTimeRecoverySpecification;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.s3.BlockPublicAccess;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.s3.BucketEncryption;
import software.amazon.awscdk.services.s3.LifecycleRule;
import software.constructs.Construct;

import java.util.List;

/**
 * The tables (on demand, point-in-time recovery, encrypted, TTL on the ledger, logs and catalog) and the data bucket. Both are
 * retained when the stack is deleted or a resource replaced (they hold every project's jobs and results: a second
 * deploy or a destroy never loses them; `./sluice destroy --delete-data` deletes them explicitly).
 */
final class DataStore extends Construct {
    final Table jobs;
    final Table catalog;
    final Table keys;
    final Table ledger;
    final Table logs;
    final Bucket bucket;

    DataStore(Construct scope, String id) {
        super(scope, id);
        jobs = table("Jobs", "jobId", null, null);
        jobs.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder().indexName("byProject")
                .partitionKey(Attribute.builder().name("projectId").type(AttributeType.STRING).build())
                .sortKey(Attribute.builder().name("jobId").type(AttributeType.STRING).build()).build());
        // sparse: only jobs that are not terminal carry the attribute (see DynamoJobStore.BY_ACTIVE)
        jobs.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder().indexName("byActive")
                .partitionKey(Attribute.builder().name("active").type(AttributeType.STRING).build())
                .sortKey(Attribute.builder().name("jobId").type(AttributeType.STRING).build())
                .projectionType(software.amazon.awscdk.services.dynamodb.ProjectionType.KEYS_ONLY).build());
        // TTL: the idempotency records (DynamoIdempotencyStore) lapse after 24 h; other catalog rows carry no expiresAt
        catalog = table("Catalog", "projectId", "id", "expiresAt");
        // sparse: only datasets and models the scheduler will have to look at carry it (DynamoCatalog.BY_SWEEP)
        catalog.addGlobalSecondaryIndex(GlobalSecondaryIndexProps.builder().indexName("bySweep")
                .partitionKey(Attribute.builder().name("sweep").type(AttributeType.STRING).build())
                .sortKey(Attribute.builder().name("sweepAt").type(AttributeType.NUMBER).build())
                .projectionType(software.amazon.awscdk.services.dynamodb.ProjectionType.KEYS_ONLY).build());
        keys = table("Keys", "keyHash", null, null);
        ledger = table("Ledger", "jobId", "entry", "expiresAt");
        logs = table("Logs", "jobId", "sk", "expiresAt");
        bucket = Bucket.Builder.create(this, "Bucket")
                .encryption(BucketEncryption.S3_MANAGED)
                .blockPublicAccess(BlockPublicAccess.BLOCK_ALL)
                .enforceSsl(true)
                .removalPolicy(RemovalPolicy.RETAIN)
                // the web console PUTs uploads to presigned URLs from the API's origin (README "Web console"). Any
                // origin: the signed URL is the permission (the bucket policy still admits only the functions' role),
                // and naming the API's origin here would make the bucket depend on the API that depends on it.
                .cors(List.of(software.amazon.awscdk.services.s3.CorsRule.builder()
                        .allowedMethods(List.of(software.amazon.awscdk.services.s3.HttpMethods.PUT))
                        .allowedOrigins(List.of("*")).allowedHeaders(List.of("content-type", "if-none-match"))
                        .maxAge(3600).build()))
                .lifecycleRules(List.of(
                        LifecycleRule.builder().id("results-expire").prefix(dev.sluice.core.ObjectKeys.RESULTS).expiration(Duration.days(90)).build(),
                        // a backstop only: the scheduler deletes a dataset's file at its expiryTime (at most 365 days)
                        LifecycleRule.builder().id("uploads-expire").prefix(dev.sluice.core.ObjectKeys.DATASETS).expiration(Duration.days(366)).build(),
                        LifecycleRule.builder().id("deliveries-expire").prefix(dev.sluice.core.ObjectKeys.DELIVERIES)
                                .expiration(Duration.days(dev.sluice.core.delivery.DeliveryLog.RETENTION_DAYS)).build(),
                        LifecycleRule.builder().id("abort-incomplete-uploads")
                                .abortIncompleteMultipartUploadAfter(Duration.days(1)).build()))
                .build();
    }

    /**
     * The data bucket's policy (issue 20, item 2): every object and listing action is denied to any principal but the
     * given roles (the functions' and the GPU workers'), whatever an IAM policy elsewhere in the account grants, so no
     * user's access key reaches another project's datasets, models or results. Presigned upload and download URLs are
     * signed by the api function's role, so they still work. Bucket-level administration (the policy itself) is left
     * to the account's administrators. {@code aws:PrincipalArn} is the role's ARN for its sessions (IAM global
     * condition keys).
     */
    void onlyFor(List<software.amazon.awscdk.services.iam.IRole> roles) {
        bucket.addToResourcePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .sid("OnlySluiceRoles")
                .effect(software.amazon.awscdk.services.iam.Effect.DENY)
                .principals(List.of(new software.amazon.awscdk.services.iam.AnyPrincipal()))
                .actions(List.of("s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:ListBucket*",
                        "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload", "s3:RestoreObject"))
                .resources(List.of(bucket.getBucketArn(), bucket.arnForObjects("*")))
                .conditions(java.util.Map.of("ArnNotEquals", java.util.Map.of("aws:PrincipalArn",
                        roles.stream().map(software.amazon.awscdk.services.iam.IRole::getRoleArn).toList())))
                .build());
    }

    /**
     * Grants a role what {@link Access} declares for it, and nothing else: per table only its DynamoDB actions (the
     * table and its indexes), per prefix of the data bucket only its object actions, and {@code s3:ListBucket} only
     * under the prefixes it reads ({@code s3:prefix}, StringLike), never a listing of the whole bucket.
     */
    void grant(software.amazon.awscdk.services.iam.IGrantable role, Access.Role of) {
        Access.tables(of).forEach((t, ops) -> table(t).grant(role,
                ops.stream().map(op -> op.action).toArray(String[]::new)));
        java.util.List<String> listed = new java.util.ArrayList<>();
        java.util.Map<java.util.List<String>, java.util.List<String>> byActions = new java.util.LinkedHashMap<>();
        Access.prefixes(of).forEach((prefix, access) -> {
            byActions.computeIfAbsent(access.actions, k -> new java.util.ArrayList<>()).add(bucket.arnForObjects(prefix + "*"));
            if (access.lists) {
                listed.add(prefix + "*");
            }
        });
        byActions.forEach((actions, objects) -> role.getGrantPrincipal().addToPrincipalPolicy(
                software.amazon.awscdk.services.iam.PolicyStatement.Builder.create().actions(actions).resources(objects)
                        .build()));
        if (!listed.isEmpty()) {
            role.getGrantPrincipal().addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder
                    .create().actions(java.util.List.of("s3:ListBucket")).resources(java.util.List.of(bucket.getBucketArn()))
                    .conditions(java.util.Map.of("StringLike", java.util.Map.of("s3:prefix", listed))).build());
        }
    }

    Table table(Access.Table t) {
        return switch (t) {
            case JOBS -> jobs;
            case CATALOG -> catalog;
            case KEYS -> keys;
            case LEDGER -> ledger;
            case LOGS -> logs;
        };
    }

    private Table table(String id, String partitionKey, String sortKey, String ttlAttribute) {
        Table.Builder b = Table.Builder.create(this, id)
                .partitionKey(Attribute.builder().name(partitionKey).type(AttributeType.STRING).build())
                .billingMode(BillingMode.PAY_PER_REQUEST)
                // encrypted at rest under the account's AWS managed key (aws/dynamodb): visible in the template and
                // in CloudTrail, no key to administer
                .encryption(software.amazon.awscdk.services.dynamodb.TableEncryption.AWS_MANAGED)
                .pointInTimeRecoverySpecification(PointInTimeRecoverySpecification.builder()
                        .pointInTimeRecoveryEnabled(true).build())
                .removalPolicy(RemovalPolicy.RETAIN);
        if (sortKey != null) {
            b.sortKey(Attribute.builder().name(sortKey).type(AttributeType.STRING).build());
        }
        if (ttlAttribute != null) {
            b.timeToLiveAttribute(ttlAttribute);
        }
        return b.build();
    }
}
