package dev.sluice.bench;

import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
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
 * counted apart: those are the pollers idling, not the job's work; so are the API's requests (keys {@code api:…}, made
 * on the local API server's threads), the benchmark's own client polling its job.
 */
final class RequestCounter implements ExecutionInterceptor {
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    final DoubleAdder writeUnits = new DoubleAdder();
    final DoubleAdder readUnits = new DoubleAdder();
    /** Capacity units ×1000 and requests by "operation table" (a transaction's units split by the table they went to). */
    private final Map<String, AtomicLong> unitsByTable = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> requestsByTable = new ConcurrentHashMap<>();

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
        }
        return r;
    }

    @Override
    public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
        // the API's requests (the benchmark's client polling its job every 100 ms: an API key and a job read each
        // time) are counted apart, as "api:…": a client's polling is not the pipeline's orchestration
        String caller = Thread.currentThread().getName().startsWith("api-") ? "api:" : "";
        String key = caller + attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME) + ":"
                + attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        Object response = context.response();
        if (response instanceof ReceiveMessageResponse rm && rm.messages().isEmpty()) {
            key += "(empty)";
        }
        counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
        String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        if (!caller.isEmpty()) {
            return; // its units are not the pipeline's either
        }
        if (response instanceof TransactWriteItemsResponse t) {
            write(op, t.consumedCapacity());
        } else if (response instanceof PutItemResponse p) {
            write(op, List.of(p.consumedCapacity()));
        } else if (response instanceof UpdateItemResponse u) {
            write(op, List.of(u.consumedCapacity()));
        } else if (response instanceof GetItemResponse g && g.consumedCapacity() != null) {
            read(op, g.consumedCapacity());
        } else if (response instanceof QueryResponse q && q.consumedCapacity() != null) {
            read(op, q.consumedCapacity());
        }
    }

    private void read(String op, ConsumedCapacity c) {
        if (c.capacityUnits() != null) {
            readUnits.add(c.capacityUnits());
            byTable(op, c);
        }
    }

    private void write(String op, List<ConsumedCapacity> capacities) {
        if (capacities == null) {
            return;
        }
        for (ConsumedCapacity c : capacities) {
            if (c != null && c.capacityUnits() != null) {
                writeUnits.add(c.capacityUnits());
                byTable(op, c);
            }
        }
    }

    private void byTable(String op, ConsumedCapacity c) {
        String table = c.tableName() == null ? "?" : c.tableName().replaceFirst("^sluice-(local-)?", "");
        String key = op + " " + table;
        unitsByTable.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(Math.round(c.capacityUnits() * 1000));
        requestsByTable.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    /** Capacity units ×1000 by "operation table" and the requests that consumed them, for where the units go. */
    Map<String, long[]> byTableSnapshot() {
        Map<String, long[]> copy = new TreeMap<>();
        unitsByTable.forEach((k, v) -> copy.put(k, new long[]{v.get(), requestsByTable.get(k).get()}));
        return copy;
    }

    Map<String, Long> snapshot() {
        Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.get()));
        copy.put("DynamoDb:WCU*1000", Math.round(writeUnits.sum() * 1000));
        copy.put("DynamoDb:RCU*1000", Math.round(readUnits.sum() * 1000));
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
