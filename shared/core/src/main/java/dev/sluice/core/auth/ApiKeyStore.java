package dev.sluice.core.auth;

import java.util.Optional;

/** API keys, stored only as SHA-256 hashes, found by hash. */
public interface ApiKeyStore {
    /** A stored key: its hash, project, and when it was revoked (null while it is valid). */
    record Stored(String keyHash, String projectId, Long revokedTime) {
    }

    void put(String keyHash, String projectId, String keyPrefix, long createTime);

    Optional<Stored> find(String keyHash);

    void revoke(String keyHash, long now);
}
