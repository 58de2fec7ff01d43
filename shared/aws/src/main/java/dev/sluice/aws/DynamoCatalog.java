package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.port.Catalog;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.util.Map;
import java.util.Optional;

import static dev.sluice.aws.DynamoJobStore.s;

/** Catalog table: pk projectId, sk id, the document as JSON. A key of one project never reads another's rows. */
public final class DynamoCatalog implements Catalog {
    private final DynamoDbClient dynamo;
    private final String table;

    public DynamoCatalog(DynamoDbClient dynamo, SluiceConfig config) {
        this.dynamo = dynamo;
        this.table = config.catalogTable();
    }

    @Override
    public void put(String projectId, String id, Object document) {
        dynamo.putItem(b -> b.tableName(table).item(Map.of("projectId", s(projectId), "id", s(id),
                "doc", s(Json.write(document)))));
    }

    @Override
    public <T> Optional<T> get(String projectId, String id, Class<T> type) {
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("projectId", s(projectId), "id", s(id))));
        if (!response.hasItem() || response.item().isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Json.read(response.item().get("doc").s(), type));
    }

    @Override
    public void delete(String projectId, String id) {
        dynamo.deleteItem(b -> b.tableName(table).key(Map.of("projectId", s(projectId), "id", s(id))));
    }

    @Override
    public <T> Page<T> list(String projectId, String idPrefix, Class<T> type, PageRequest page) {
        return Pages.query(dynamo, table, null, "projectId = :p", Map.of(":p", s(projectId)), "id", idPrefix, page,
                row -> Json.read(row.get("doc").s(), type));
    }
}
