package dev.sluice.core.port;

import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;

import java.util.Optional;

/** Project-scoped documents: datasets, models, webhooks. Ids carry their type as a prefix. */
public interface Catalog {
    void put(String projectId, String id, Object document);

    <T> Optional<T> get(String projectId, String id, Class<T> type);

    void delete(String projectId, String id);

    <T> Page<T> list(String projectId, String idPrefix, Class<T> type, PageRequest page);
}
