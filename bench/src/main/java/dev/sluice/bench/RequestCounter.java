package dev.sluice.bench;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.GetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemResponse;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.ReturnConsumedCapacity;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsRequest;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItemsResponse;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemResponse;
import software.amazon.awssdk.services.sqs.model.ReceiveMessageResponse;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Counts AWS SDK requests by service and operation, as an SDK execution interceptor, and the DynamoDB capacity units
 * they consume (it asks every DynamoDB call to return its ConsumedCapacity). A receive that returned no message is
 * counted apart: those are the pollers idling, not the job's work.
 */
final class RequestCounter implements ExecutionInterceptor {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    final DoubleAdder writeUnits = new DoubleAdder();
    final DoubleAdder readUnits = new DoubleAdder();

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        SdkRequest r = context.request();
        if (r instanceof TransactWriteItemsRequest t) {
            return t.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        } else if (r instanceof PutItemRequest p) {
            return p.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        } else if (r instanceof UpdateItemRequest u) {
            return u.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        } else if (r instanceof GetItemRequest g) {
            return g.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        } else if (r instanceof QueryRequest q) {
            return q.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        } else if (r instanceof BatchGetItemRequest g) {
            return g.toBuilder().returnConsumedCapacity(ReturnConsumedCapacity.TOTAL).build();
        }
        return r;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        // the local API server's threads (api-N) serve the client's polling: counted apart, not orchestration
        boolean api = Thread.currentThread().getName().startsWith("api-");
        String key = (api ? "api:" : "") + service + ":" + operation;
        Object response = context.response();
        if (response instanceof ReceiveMessageResponse rm && rm.messages().isEmpty()) {
            key += "(empty)";
        }
        counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        if (api) {
            return;
        }
        if (response instanceof TransactWriteItemsResponse t) {
            write(operation, t.consumedCapacity(), writeUnits);
        } else if (response instanceof PutItemResponse p) {
            write(operation, List.of(p.consumedCapacity()), writeUnits);
        } else if (response instanceof UpdateItemResponse u) {
            write(operation, List.of(u.consumedCapacity()), writeUnits);
        } else if (response instanceof GetItemResponse g) {
            write(operation, List.of(g.consumedCapacity()), readUnits);
        } else if (response instanceof QueryResponse q) {
            write(operation, List.of(q.consumedCapacity()), readUnits);
        } else if (response instanceof BatchGetItemResponse g) {
            write(operation, g.consumedCapacity(), readUnits);
        }
    }

    /** Capacity units ×1,000 by operation and table ({@code PutItem sluice-ledger}): where the units go. */
    private final Map<String, DoubleAdder> unitsByTable = new ConcurrentHashMap<>();

    private void write(String operation, List<ConsumedCapacity> capacities, DoubleAdder total) {
        if (capacities == null) {
            return;
        }
        for (ConsumedCapacity c : capacities) {
            if (c != null && c.capacityUnits() != null) {
                total.add(c.capacityUnits());
                unitsByTable.computeIfAbsent(operation + " " + c.tableName(), k -> new DoubleAdder()).add(c.capacityUnits());
            }
        }
    }

    /** Units ×1,000 by operation and table, keyed {@code units*1000 <operation> <table>} (not requests: see Costs). */
    Map<String, Long> unitsSnapshot() {
        Map<String, Long> copy = new TreeMap<>();
        unitsByTable.forEach((k, v) -> copy.put("units*1000 " + k, Math.round(v.sum() * 1000)));
        return copy;
    }

    Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.get()));
        copy.put("DynamoDb:WCU*1000", Math.round(writeUnits.sum() * 1000));
        copy.put("DynamoDb:RCU*1000", Math.round(readUnits.sum() * 1000));
        copy.putAll(unitsSnapshot());
        return copy;
    }

    static Map<String, Long> since(Map<String, Long> after, Map<String, Long> before) {
        Map<String, Long> d = new TreeMap<>();
        after.forEach((k, v) -> {
            if (v - before.getOrDefault(k, 0L) != 0) {
                d.put(k, v - before.getOrDefault(k, 0L));
            }
        });
        return d;
    }
}
