package dev.sluice.aws;

import dev.sluice.core.port.ApiKeyStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.util.Map;
import java.util.Optional;

import static dev.sluice.aws.DynamoJobStore.n;
import static dev.sluice.aws.DynamoJobStore.s;

/** Keys table: pk keyHash (SHA-256 of the key); the key itself is never stored. */
public final class DynamoApiKeyStore implements ApiKeyStore {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoApiKeyStore(DynamoDbClient dynamo, SluiceConfig config) {
        this.dynamo = dynamo;
        this.table = config.keysTable();
    }

    @Override
    public void put(String keyHash, String projectId, String keyPrefix, long createTime) {
        dynamo.putItem(b -> b.tableName(table).item(Map.of("keyHash", s(keyHash), "projectId", s(projectId),
                "prefix", s(keyPrefix), "createTime", n(createTime))));
    }

    @Override
    public Optional<String> projectOf(String keyHash) {
        var response = dynamo.getItem(b -> b.tableName(table).key(Map.of("keyHash", s(keyHash))));
        if (!response.hasItem() || response.item().isEmpty() || response.item().containsKey("revokedTime")) {
            return Optional.empty();
        }
        return Optional.of(response.item().get("projectId").s());
    }
}
