package dev.sluice.core.port;

import dev.sluice.core.IdKind;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;

import java.util.Optional;

/**
 * Project-scoped documents of several kinds in one table: datasets, models, webhooks, deployments, dead letters and
 * API keys. A read names the kind it expects and finds nothing for an id of another kind (see {@link IdKind}).
 */
public interface Catalog {
    void put(String projectId, String id, Object document);

    /**
     * The project's record of this kind with this id; empty when there is none, when the id has another kind's prefix
     * (nothing is read then) or when the stored record's {@code object} is not the kind's.
     */
    <T> Optional<T> get(String projectId, IdKind<T> kind, String id);

    void delete(String projectId, String id);

    /** The project's records of this kind, in id (creation) order. */
    <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page);
}
