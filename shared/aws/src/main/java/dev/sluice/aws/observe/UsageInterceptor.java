package dev.sluice.aws.observe;

import dev.sluice.core.usage.Usage;
import dev.sluice.core.usage.UsageMeter;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemRequest;
import software.amazon.awssdk.services.dynamodb.model.DeleteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.ScanRequest;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactGetItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

import java.util.List;
import java.util.Set;

/**
 * Counts each AWS request the functions make into the process's {@link UsageMeter}: one SQS request, one S3 request
 * of its price class (and the bytes of a GetObject), or the DynamoDB capacity units the request consumed, which it
 * asks DynamoDB to return ({@code ReturnConsumedCapacity=TOTAL},
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html): DynamoDB's own
 * figure, never a guess from item sizes. Installed on every SDK client (Quarkus: {@code quarkus.<svc>.interceptors};
 * local and tests: {@code LocalProvisioner.clients}); it makes no request of its own.
 */
public final class UsageInterceptor implements ExecutionInterceptor {
    /** S3's dearer class (https://aws.amazon.com/s3/pricing/: PUT, COPY, POST, LIST); DELETE and abort are free. */
    static final Set<String> S3_PUT_CLASS = Set.of("PutObject", "CopyObject", "UploadPart", "UploadPartCopy",
            "CreateMultipartUpload", "CompleteMultipartUpload", "ListObjects", "ListObjectsV2", "ListObjectVersions",
            "ListMultipartUploads", "ListParts", "ListBuckets", "PostObject");
    static final Set<String> S3_FREE = Set.of("DeleteObject", "DeleteObjects", "AbortMultipartUpload");

    private final UsageMeter meter;

    /** Counts into the process's meter (the constructor Quarkus calls). */
    public UsageInterceptor() {
        this(UsageMeter.process());
    }

    public UsageInterceptor(UsageMeter meter) {
        this.meter = meter;
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        ReturnConsumedCapacity total = ReturnConsumedCapacity.TOTAL;
        return switch (r) {
            case TransactWriteItemsRequest t when t.returnConsumedCapacity() == null -> t.toBuilder().returnConsumedCapacity(total).build();
            case PutItemRequest p when p.returnConsumedCapacity() == null -> p.toBuilder().returnConsumedCapacity(total).build();
            case UpdateItemRequest u when u.returnConsumedCapacity() == null -> u.toBuilder().returnConsumedCapacity(total).build();
            case DeleteItemRequest d when d.returnConsumedCapacity() == null -> d.toBuilder().returnConsumedCapacity(total).build();
            case GetItemRequest g when g.returnConsumedCapacity() == null -> g.toBuilder().returnConsumedCapacity(total).build();
            case QueryRequest q when q.returnConsumedCapacity() == null -> q.toBuilder().returnConsumedCapacity(total).build();
            case ScanRequest s when s.returnConsumedCapacity() == null -> s.toBuilder().returnConsumedCapacity(total).build();
            case BatchGetItemRequest b when b.returnConsumedCapacity() == null -> b.toBuilder().returnConsumedCapacity(total).build();
            case BatchWriteItemRequest b when b.returnConsumedCapacity() == null -> b.toBuilder().returnConsumedCapacity(total).build();
            case TransactGetItemsRequest t when t.returnConsumedCapacity() == null -> t.toBuilder().returnConsumedCapacity(total).build();
            default -> r;
        };
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        meter.record(usageOf(attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME),
                attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME), context.response()));
    }

    /** What one answered request used; a DynamoDB answer without ConsumedCapacity counts nothing. */
    public static Usage usageOf(String service, String operation, Object response) {
        if ("Sqs".equals(service)) {
            return Usage.sqs(1);
        }
        if ("S3".equals(service)) {
            if (S3_FREE.contains(operation)) {
                return Usage.ZERO;
            }
            Usage request = S3_PUT_CLASS.contains(operation) ? Usage.s3(1, 0) : Usage.s3(0, 1);
            if (response instanceof GetObjectResponse g && g.contentLength() != null) {
                request = request.plus(Usage.fetched(g.contentLength()));
            }
            return request;
        }
        return switch (response) {
            case TransactWriteItemsResponse t -> Usage.dynamo(0, units(t.consumedCapacity()));
            case PutItemResponse p -> Usage.dynamo(0, units(List.of(p.consumedCapacity())));
            case UpdateItemResponse u -> Usage.dynamo(0, units(List.of(u.consumedCapacity())));
            case DeleteItemResponse d -> Usage.dynamo(0, units(List.of(d.consumedCapacity())));
            case BatchWriteItemResponse b -> Usage.dynamo(0, units(b.consumedCapacity()));
            case GetItemResponse g -> Usage.dynamo(units(List.of(g.consumedCapacity())), 0);
            case QueryResponse q -> Usage.dynamo(units(List.of(q.consumedCapacity())), 0);
            case ScanResponse s -> Usage.dynamo(units(List.of(s.consumedCapacity())), 0);
            case BatchGetItemResponse b -> Usage.dynamo(units(b.consumedCapacity()), 0);
            case TransactGetItemsResponse t -> Usage.dynamo(units(t.consumedCapacity()), 0);
            case null, default -> Usage.ZERO;
        };
    }

    private static double units(List<ConsumedCapacity> capacities) {
        double sum = 0;
        if (capacities != null) {
            for (ConsumedCapacity c : capacities) {
                if (c != null && c.capacityUnits() != null) {
                    sum += c.capacityUnits();
                }
            }
        }
        return sum;
    }
}
