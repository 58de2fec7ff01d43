package dev.sluice.aws;

import dev.sluice.core.auth.ApiKeyStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.util.Map;
import java.util.Optional;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;

/** Keys table: pk keyHash (SHA-256 of the key); the key itself is never stored. */
public final class DynamoApiKeyStore implements ApiKeyStore {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoApiKeyStore(DynamoDbClient dynamo, SluiceConfig config) {
        this(dynamo, config.keysTable());
    }

    /** On the named keys table (`sluice admin`, which knows only the tables it writes). */
    public DynamoApiKeyStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    @Override
    public void put(String keyHash, String projectId, String keyPrefix, long createTime) {
        dynamo.putItem(b -> b.tableName(table).item(Map.of("keyHash", s(keyHash), "projectId", s(projectId),
                "prefix", s(keyPrefix), "createTime", n(createTime))));
    }

    @Override
    public Optional<Stored> find(String keyHash) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(Map.of("keyHash", s(keyHash))));
        if (!response.hasItem() || response.item().isEmpty()) {
            return Optional.empty();
        }
        var item = response.item();
        return Optional.of(new Stored(item.get("keyHash").s(), item.get("projectId").s(),
                item.containsKey("revokedTime") ? Long.valueOf(item.get("revokedTime").n()) : null));
    }

    @Override
    public void revoke(String keyHash, long now) {
        dynamo.updateItem(b -> b.tableName(table).key(Map.of("keyHash", s(keyHash)))
                .updateExpression("SET revokedTime = :now").conditionExpression("attribute_exists(keyHash)")
                .expressionAttributeValues(Map.of(":now", n(now))));
    }
}
