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
    public <T> Optional<T> get(String projectId, IdKind<T> kind, String id) {
        if (!kind.names(id)) {
            return Optional.empty();
        }
        var response = dynamo.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("projectId", s(projectId), "id", s(id))));
        if (!response.hasItem() || !response.item().containsKey("doc")) {
            return Optional.empty();
        }
        JsonNode doc = Json.tree(response.item().get("doc").s());
        if (!kind.object().equals(doc.path("object").asText()) || !id.equals(doc.path("id").asText())) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.MAPPER.treeToValue(doc, kind.type()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("the stored " + kind.noun() + " " + id + " cannot be read", e);
        }
    }

    @Override
    public void delete(String projectId, String id) {
        dynamo.deleteItem(b -> b.tableName(table).key(Map.of("projectId", s(projectId), "id", s(id))));
    }

    @Override
    public <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page) {
        return Pages.query(dynamo, table, null, "projectId = :p", Map.of(":p", s(projectId)), "id", kind.prefix() + "_",
                page, row -> Json.read(row.get("doc").s(), kind.type()));
    }
}
