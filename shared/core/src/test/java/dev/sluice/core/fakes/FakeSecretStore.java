package dev.sluice.core.fakes;

import dev.sluice.core.port.SecretStore;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/** Secrets in memory, keyed by their stored name ({@link SecretStore#storedName}), with the store's contract. */
public final class FakeSecretStore implements SecretStore {
    private record Entry(String value, long created, long updated) {
    }

    private final TreeMap<String, Entry> secrets = new TreeMap<>();

    @Override
    public synchronized Optional<String> read(String projectId, String name) {
        return Optional.ofNullable(secrets.get(SecretStore.storedName(projectId, name))).map(Entry::value);
    }

    @Override
    public synchronized boolean create(String projectId, String name, String value, long nowMillis) {
        return secrets.putIfAbsent(SecretStore.storedName(projectId, name), new Entry(value, nowMillis, nowMillis)) == null;
    }

    @Override
    public synchronized boolean rotate(String projectId, String name, String value, long nowMillis) {
        Entry old = secrets.get(SecretStore.storedName(projectId, name));
        if (old == null) {
            return false;
        }
        secrets.put(SecretStore.storedName(projectId, name), new Entry(value, old.created(), nowMillis));
        return true;
    }

    @Override
    public synchronized List<Info> list(String projectId, int max) {
        String prefix = SecretStore.storedName(projectId, "");
        List<Info> out = new ArrayList<>();
        secrets.tailMap(prefix).forEach((k, v) -> {
            if (k.startsWith(prefix) && out.size() < max) {
                out.add(new Info(k.substring(prefix.length()), v.created(), v.updated()));
            }
        });
        return out;
    }

    @Override
    public synchronized boolean delete(String projectId, String name) {
        return secrets.remove(SecretStore.storedName(projectId, name)) != null;
    }
}
