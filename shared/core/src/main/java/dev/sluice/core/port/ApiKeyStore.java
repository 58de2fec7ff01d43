package dev.sluice.core.port;

import java.util.Optional;

/** API keys, stored only as SHA-256 hashes. */
public interface ApiKeyStore {
    void put(String keyHash, String projectId, String keyPrefix, long createTime);

    Optional<String> projectOf(String keyHash);
}
