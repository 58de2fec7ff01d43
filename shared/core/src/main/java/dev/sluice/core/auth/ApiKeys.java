package dev.sluice.core.auth;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.SluiceException;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * API keys: {@code sk_<random>} shown once, stored only as SHA-256 hashes. A request's key is found by its hash (a
 * key-value lookup, not a scan comparing secrets), and the stored hash is then compared with
 * {@link MessageDigest#isEqual} (constant time). Keys are created, listed (prefix only) and revoked per project.
 */
public final class ApiKeys {
    public static final String PREFIX = "sk_";
    /** How many characters of a key its listing shows. */
    static final int SHOWN = 10;

    /** Who a request acts as: the key's project, and the key (by hash) so a key cannot revoke itself. */
    public record Principal(String projectId, String keyHash) {
    }

    private final ApiKeyStore store;
    private final dev.sluice.core.port.Catalog catalog;
    private final Clock clock;

    public ApiKeys(ApiKeyStore store, dev.sluice.core.port.Catalog catalog, Clock clock) {
        this.store = store;
        this.catalog = catalog;
        this.clock = clock;
    }

    public static String newKey() {
        return PREFIX + HexFormat.of().formatHex(Ids.randomBytes(24));
    }

    public record CreateRequest(String name) {
    }

    /** A new key for the project; the response is the only place its value appears. */
    public ApiKey create(String projectId, CreateRequest request) {
        String name = request == null || request.name() == null ? "api key"
                : dev.sluice.core.Validation.name(request.name(), "key");
        ApiKey created = save(projectId, name, newKey());
        // the key in clear, this once; never its hash (the keys table's lookup key) in any response
        return new ApiKey(created.id(), created.object(), created.name(), projectId, created.prefix(), null,
                created.key(), created.createTime(), null);
    }

    /** Registers a given key for a project (`sluice local` and the tests choose theirs); returns the key. */
    public String register(String projectId, String key) {
        if (key == null || key.length() < 16) {
            throw SluiceException.invalid("key.too_short", "an API key must have at least 16 characters");
        }
        return save(projectId, "registered", key).key();
    }

    private ApiKey save(String projectId, String name, String key) {
        long now = clock.nowMillis();
        ApiKey apiKey = new ApiKey(Ids.newId(ApiKey.ID_PREFIX, now), ApiKey.OBJECT, name, projectId,
                key.substring(0, Math.min(SHOWN, key.length())), hash(key), key, now, null);
        store.put(apiKey.keyHash(), projectId, apiKey.prefix(), now);
        catalog.put(projectId, apiKey.id(), apiKey.listed().withHash(apiKey.keyHash()));
        return apiKey;
    }

    public dev.sluice.core.Page<ApiKey> list(String projectId, dev.sluice.core.PageRequest page) {
        dev.sluice.core.Page<ApiKey> stored = catalog.list(projectId, ApiKey.KIND, page);
        return new dev.sluice.core.Page<>(stored.data().stream().map(ApiKey::listed).toList(), stored.nextPage(),
                stored.prevPage());
    }

    /** Revokes a key of the project at once; the key that makes the request cannot revoke itself. */
    public ApiKey revoke(Principal caller, String id) {
        ApiKey key = catalog.get(caller.projectId(), ApiKey.KIND, id)
                .orElseThrow(() -> ApiKey.KIND.notFound(id));
        if (MessageDigest.isEqual(key.keyHash().getBytes(StandardCharsets.US_ASCII),
                caller.keyHash().getBytes(StandardCharsets.US_ASCII))) {
            throw SluiceException.conflict("key.revoking_own_key",
                    "a key cannot revoke itself: revoke it with another key of the project");
        }
        if (key.revokedTime() != null) {
            return key.listed();
        }
        long now = clock.nowMillis();
        store.revoke(key.keyHash(), now);
        return catalog.update(caller.projectId(), ApiKey.KIND, id, stored -> stored.revokedTime() != null ? stored
                : stored.revoked(now)).orElseThrow(() -> ApiKey.KIND.notFound(id)).listed();
    }

    /** The caller of a valid key in an {@code Authorization: Bearer <key>} header; 401 otherwise. */
    public Principal authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "auth.missing_key",
                    "send the header Authorization: Bearer <api key>");
        }
        String key = authorizationHeader.substring(7).trim();
        if (key.isEmpty() || key.length() > 200) {
            throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "auth.invalid_key", "the API key is not valid");
        }
        String presented = hash(key);
        ApiKeyStore.Stored stored = store.find(presented).orElseThrow(() -> new SluiceException(
                SluiceException.Kind.UNAUTHORIZED, "auth.invalid_key", "the API key is not valid"));
        if (!MessageDigest.isEqual(stored.keyHash().getBytes(StandardCharsets.US_ASCII),
                presented.getBytes(StandardCharsets.US_ASCII)) || stored.revokedTime() != null) {
            throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "auth.invalid_key", "the API key is not valid");
        }
        return new Principal(stored.projectId(), presented);
    }

    public static String hash(String key) {
        return Ids.sha256Hex(key);
    }
}
