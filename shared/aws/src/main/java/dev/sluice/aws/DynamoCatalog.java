package dev.sluice.aws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.IdKind;
import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.port.Catalog;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.util.Map;
import java.util.Optional;

import static dev.sluice.aws.Dynamo.s;

/**
 * Catalog table: pk projectId, sk id, the document as JSON. A key of one project never reads another's rows; a read of
 * one kind never returns a record of another (the id's prefix, then the stored {@code object} and {@code id}).
 */
public final class DynamoCatalog implements Catalog {
    /**
     * A sparse index across projects of the records with a {@link Swept#sweepTime}: partition {@link #SWEEP} (one
     * value, {@code "due"}), sort {@link #SWEEP_AT} (epoch ms, a number); keys only. A record without a sweep time
     * carries neither attribute, so the index holds only what the scheduler will have to look at.
     */
    public static final String BY_SWEEP = "bySweep";
    public static final String SWEEP = "sweep";
    public static final String SWEEP_AT = "sweepAt";
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoCatalog(DynamoDbClient dynamo, SluiceConfig config) {
        this(dynamo, config.catalogTable());
    }

    /** On the named catalog table (`sluice admin`, which knows only the tables it writes). */
    public DynamoCatalog(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    @Override
    public void put(String projectId, String id, Object document) {
        dynamo.putItem(b -> b.tableName(table).item(item(projectId, id, document)));
    }

    /** The row of a document: its keys, its JSON and, when it has one, its sweep time in the sweep index. */
    private static Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item(String projectId,
                                                                                                   String id, Object document) {
        Map<String, software.amazon.awssdk.services.dynamodb.model.AttributeValue> item = new java.util.HashMap<>(Map.of(
                "projectId", s(projectId), "id", s(id), "doc", s(Json.write(document))));
        Long at = document instanceof Swept swept ? swept.sweepTime() : null;
        if (at != null) {
            item.put(SWEEP, s("due"));
            item.put(SWEEP_AT, Dynamo.n(at));
        }
        return item;
    }

    @Override
    public java.util.List<Due> due(long now, int max) {
        java.util.List<Due> due = new java.util.ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName(table).indexName(BY_SWEEP)
                .keyConditionExpression("#s = :due AND #at <= :now")
                .expressionAttributeNames(Map.of("#s", SWEEP, "#at", SWEEP_AT))
                .expressionAttributeValues(Map.of(":due", s("due"), ":now", Dynamo.n(now)))
                .limit(Math.min(max, 1000)), row -> {
            due.add(new Due(row.get("projectId").s(), row.get("id").s()));
            return due.size() < max;
        });
        return due;
    }

    @Override
    public boolean create(String projectId, String id, Object document) {
        try {
            dynamo.putItem(b -> b.tableName(table).item(Map.of("projectId", s(projectId), "id", s(id),
                    "doc", s(Json.write(document)))).conditionExpression("attribute_not_exists(id)"));
            return true;
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException e) {
            return false;
        }
    }

    @Override
    public <T> Optional<T> get(String projectId, IdKind<T> kind, String id) {
        String stored = stored(projectId, id);
        return stored == null ? Optional.empty() : read(kind, id, stored);
    }

    /** The stored document's JSON, read consistently; null when there is none. */
    private String stored(String projectId, String id) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("projectId", s(projectId), "id", s(id))));
        return response.hasItem() && response.item().containsKey("doc") ? response.item().get("doc").s() : null;
    }

    private static <T> Optional<T> read(IdKind<T> kind, String id, String stored) {
        if (!kind.names(id)) {
            return Optional.empty();
        }
        JsonNode doc = Json.tree(stored);
        if (!kind.object().equals(doc.path("object").asText()) || !id.equals(doc.path("id").asText())) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.MAPPER.treeToValue(doc, kind.type()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the stored " + kind.noun() + " " + id + " cannot be read", e);
        }
    }

    /** Conditional on the stored JSON being the text read ({@code doc = :read}): the document is its own version. */
    @Override
    public <T> Optional<T> update(String projectId, IdKind<T> kind, String id, java.util.function.UnaryOperator<T> change) {
        for (int round = 0; round < MAX_UPDATE_ROUNDS; round++) {
            String read = kind.names(id) ? stored(projectId, id) : null;
            Optional<T> current = read == null ? Optional.empty() : read(kind, id, read);
            if (current.isEmpty()) {
                return current;
            }
            T next = change.apply(current.get());
            if (next == current.get()) {
                return current;
            }
            try {
                dynamo.putItem(b -> b.tableName(table).item(item(projectId, id, next)).conditionExpression("#d = :read")
                        .expressionAttributeNames(Map.of("#d", "doc")).expressionAttributeValues(Map.of(":read", s(read))));
                return Optional.of(next);
            } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException e) {
                // another writer came first: apply the change to what it wrote
            }
        }
        throw dev.sluice.core.SluiceException.conflict("request.conflict", "the " + kind.noun() + " " + id
                + " kept changing while this request updated it; try again");
    }

    static final int MAX_UPDATE_ROUNDS = 50;

    @Override
    public void delete(String projectId, String id) {
        dynamo.deleteItem(b -> b.tableName(table).key(Map.of("projectId", s(projectId), "id", s(id))));
    }

    @Override
    public <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page, java.util.function.Predicate<T> keep,
                            String filterKey) {
        return Pages.query(dynamo, table, null, "projectId = :p", Map.of(":p", s(projectId)), "id", kind.prefix() + "_",
                page, row -> Json.read(row.get("doc").s(), kind.type()), keep, filterKey);
    }
}
