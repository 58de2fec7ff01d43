package dev.sluice.core.fakes;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.IdKind;
import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.port.Catalog;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An in-memory {@link Catalog} with the DynamoDB adapter's rules ({@code DynamoCatalog}): documents are stored as JSON
 * (a read returns a copy, as a round trip through the table does), keyed by project and id; a read of one kind finds
 * nothing for an id without the kind's prefix, or a stored record whose {@code object} or {@code id} differ.
 * {@link #list} returns one page of the kind's records in id order (no cursor).
 */
public final class FakeCatalog implements Catalog {
    private final Map<String, TreeMap<String, String>> docs = new HashMap<>();

    @Override
    public synchronized void put(String projectId, String id, Object document) {
        docs.computeIfAbsent(projectId, p -> new TreeMap<>()).put(id, Json.write(document));
        Long at = document instanceof Swept swept ? swept.sweepTime() : null;
        if (at == null) {
            sweepTimes.remove(projectId + "|" + id);
        } else {
            sweepTimes.put(projectId + "|" + id, at);
        }
    }

    @Override
    public synchronized boolean create(String projectId, String id, Object document) {
        return docs.computeIfAbsent(projectId, p -> new TreeMap<>()).putIfAbsent(id, Json.write(document)) == null;
    }

    @Override
    public synchronized <T> Optional<T> get(String projectId, IdKind<T> kind, String id) {
        if (!kind.names(id)) {
            return Optional.empty();
        }
        String json = docs.getOrDefault(projectId, new TreeMap<>()).get(id);
        if (json == null) {
            return Optional.empty();
        }
        JsonNode doc = Json.tree(json);
        if (!kind.object().equals(doc.path("object").asText()) || !id.equals(doc.path("id").asText())) {
            return Optional.empty();
        }
        return Optional.of(Json.read(json, kind.type()));
    }

    @Override
    public synchronized <T> Optional<T> update(String projectId, IdKind<T> kind, String id,
                                               java.util.function.UnaryOperator<T> change) {
        Optional<T> current = get(projectId, kind, id);
        if (current.isEmpty()) {
            return current;
        }
        T next = change.apply(current.get());
        if (next != current.get()) {
            put(projectId, id, next);
        }
        return Optional.of(next);
    }

    @Override
    public synchronized List<Due> due(long now, int max) {
        record At(long time, Due due) {
        }
        List<At> found = new java.util.ArrayList<>();
        docs.forEach((project, rows) -> rows.forEach((id, json) -> {
            Long at = sweepTimes.get(project + "|" + id);
            if (at != null && at <= now) {
                found.add(new At(at, new Due(project, id)));
            }
        }));
        return found.stream().sorted(java.util.Comparator.comparingLong(At::time)).limit(max).map(At::due).toList();
    }

    /** The sweep time of each record put, as the DynamoDB adapter keeps it beside the document. */
    private final Map<String, Long> sweepTimes = new HashMap<>();

    @Override
    public synchronized void delete(String projectId, String id) {
        sweepTimes.remove(projectId + "|" + id);
        docs.getOrDefault(projectId, new TreeMap<>()).remove(id);
    }

    @Override
    public synchronized <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page,
                                         java.util.function.Predicate<T> keep, String filterKey) {
        List<T> records = docs.getOrDefault(projectId, new TreeMap<>()).entrySet().stream()
                .filter(e -> e.getKey().startsWith(kind.prefix() + "_"))
                .map(e -> Json.read(e.getValue(), kind.type())).filter(keep).limit(page.limit()).toList();
        return new Page<>(records, null, null);
    }
}
