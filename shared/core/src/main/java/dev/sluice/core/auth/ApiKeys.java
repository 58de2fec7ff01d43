package dev.sluice.core.auth;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.SluiceException;
import dev.sluice.core.port.ApiKeyStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * API keys: {@code sk_<random>} shown once, stored as SHA-256. The lookup is by hash, so no stored key is ever
 * compared byte by byte with the one presented (nothing to time).
 */
public final class ApiKeys {
    public static final String PREFIX = "sk_";

    private final ApiKeyStore store;
    private final Clock clock;

    public ApiKeys(ApiKeyStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public static String newKey() {
        return PREFIX + HexFormat.of().formatHex(Ids.randomBytes(24));
    }

    /** Registers a key for a project; returns the key (the only time it is seen). */
    public String register(String projectId, String key) {
        if (key == null || key.length() < 16) {
            throw SluiceException.invalid("key.too_short", "an API key must have at least 16 characters");
        }
        store.put(hash(key), projectId, key.substring(0, Math.min(8, key.length())), clock.nowMillis());
        return key;
    }

    /** The project of a valid key in an {@code Authorization: Bearer <key>} header; 401 otherwise. */
    public String authenticate(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "auth.missing_key",
                    "send the header Authorization: Bearer <api key>");
        }
        String key = authorizationHeader.substring(7).trim();
        if (key.isEmpty() || key.length() > 200) {
            throw new SluiceException(SluiceException.Kind.UNAUTHORIZED, "auth.invalid_key", "the API key is not valid");
        }
        return store.projectOf(hash(key)).orElseThrow(() -> new SluiceException(SluiceException.Kind.UNAUTHORIZED,
                "auth.invalid_key", "the API key is not valid"));
    }

    public static String hash(String key) {
        return dev.sluice.core.Ids.sha256Hex(key);
    }
}
