package dev.sluice.core.auth;

/**
 * An API key of a project as it is listed: its first characters only. {@code key} is set once, in the response that
 * creates it; {@code keyHash} is what the keys table is keyed on, kept so a revocation finds the row, never returned.
 */
public record ApiKey(String id, String object, String name, String projectId, String prefix, String keyHash,
                     String key, long createTime, Long revokedTime) {
    public static final String OBJECT = "api_key";
    public static final String ID_PREFIX = "apikey";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<ApiKey> KIND = new dev.sluice.core.IdKind<>(ID_PREFIX, OBJECT, "api key",
            ApiKey.class);

    /** As every response but the creating one shows it. */
    public ApiKey listed() {
        return new ApiKey(id, object, name, projectId, prefix, null, null, createTime, revokedTime);
    }

    ApiKey withHash(String hash) {
        return new ApiKey(id, object, name, projectId, prefix, hash, null, createTime, revokedTime);
    }

    public ApiKey revoked(long now) {
        return new ApiKey(id, object, name, projectId, prefix, keyHash, null, createTime, now);
    }
}
