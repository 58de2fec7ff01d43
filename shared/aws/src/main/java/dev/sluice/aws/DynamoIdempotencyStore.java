package dev.sluice.aws;

import dev.sluice.core.idempotency.IdempotencyStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;

/**
 * Idempotency records in the catalog table: pk projectId, sk {@value #PREFIX} and the key's digest, so a record is
 * read only under its own project and no listing of another kind (whose ids have their own prefixes) meets it. The
 * table's TTL attribute {@value #EXPIRES_AT} (epoch seconds) removes a record within days of its 24 hours; until then
 * a lapsed record is claimed over by the claim's own condition.
 */
public final class DynamoIdempotencyStore implements IdempotencyStore {
    static final String PREFIX = "idem_";
    static final String EXPIRES_AT = "expiresAt";
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoIdempotencyStore(DynamoDbClient dynamo, SluiceConfig config) {
        this.dynamo = dynamo;
        this.table = config.catalogTable();
    }

    private static Map<String, AttributeValue> key(String projectId, String keyDigest) {
        return Map.of("projectId", s(projectId), "id", s(PREFIX + keyDigest));
    }

    @Override
    public Optional<Entry> claim(String projectId, String keyDigest, String fingerprint, long nowMillis,
                                 long lockedUntilMillis, long expiresAtMillis) {
        Map<String, AttributeValue> item = new HashMap<>(key(projectId, keyDigest));
        item.put("fingerprint", s(fingerprint));
        item.put("state", s(State.IN_PROGRESS.name()));
        item.put("lockedUntil", n(lockedUntilMillis));
        item.put("expiresAtMillis", n(expiresAtMillis));
        item.put(EXPIRES_AT, n(expiresAtMillis / 1000 + 1));
        for (int round = 0; round < 5; round++) {
            try {
                dynamo.putItem(b -> b.tableName(table).item(item)
                        .conditionExpression("attribute_not_exists(id) OR expiresAtMillis < :now"
                                + " OR (#st = :running AND lockedUntil < :now)")
                        .expressionAttributeNames(Map.of("#st", "state"))
                        .expressionAttributeValues(Map.of(":now", n(nowMillis), ":running", s(State.IN_PROGRESS.name()))));
                return Optional.empty();
            } catch (ConditionalCheckFailedException e) {
                Optional<Entry> standing = get(projectId, keyDigest);
                if (standing.isPresent()) {
                    return standing;
                }
                // released between the write and the read: claim again
            }
        }
        throw dev.sluice.core.SluiceException.conflict("request.idempotency_in_progress", "requests with this"
                + " Idempotency-Key keep starting and failing; send it again in a few seconds");
    }

    @Override
    public void complete(String projectId, String keyDigest, String fingerprint, String sealedResponse) {
        try {
            dynamo.updateItem(b -> b.tableName(table).key(key(projectId, keyDigest))
                    .updateExpression("SET #st = :done, sealedAnswer = :r")
                    .conditionExpression("fingerprint = :f AND #st = :running")
                    .expressionAttributeNames(Map.of("#st", "state"))
                    .expressionAttributeValues(Map.of(":done", s(State.COMPLETED.name()), ":r", s(sealedResponse),
                            ":f", s(fingerprint), ":running", s(State.IN_PROGRESS.name()))));
        } catch (ConditionalCheckFailedException e) {
            // the claim lapsed and another request took it over: that request's answer stands
        }
    }

    @Override
    public void release(String projectId, String keyDigest, String fingerprint) {
        try {
            dynamo.deleteItem(b -> b.tableName(table).key(key(projectId, keyDigest))
                    .conditionExpression("fingerprint = :f AND #st = :running")
                    .expressionAttributeNames(Map.of("#st", "state"))
                    .expressionAttributeValues(Map.of(":f", s(fingerprint), ":running", s(State.IN_PROGRESS.name()))));
        } catch (ConditionalCheckFailedException e) {
            // no longer ours
        }
    }

    @Override
    public Optional<Entry> get(String projectId, String keyDigest) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(key(projectId, keyDigest)));
        if (!response.hasItem() || response.item().isEmpty()) {
            return Optional.empty();
        }
        Map<String, AttributeValue> row = response.item();
        return Optional.of(new Entry(row.get("fingerprint").s(), State.valueOf(row.get("state").s()),
                row.containsKey("sealedAnswer") ? row.get("sealedAnswer").s() : null,
                Long.parseLong(row.get("lockedUntil").n()), Long.parseLong(row.get("expiresAtMillis").n())));
    }
}
