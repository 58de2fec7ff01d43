package dev.sluice.core.secret;

import dev.sluice.core.Clock;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.port.SecretStore;

import java.util.List;

/**
 * A project's stored secrets (access keys its executions use): created, listed, rotated and deleted through the API,
 * values write-only. Names are looked up under the calling project only, so another project's secret answers exactly
 * like a name that does not exist: 404 {@code secret.not_found}, the same message (issue 20, item 1).
 */
public final class SecretService {
    /** Secrets a project may hold (the listing is one page, bounded by this). */
    public static final int MAX_SECRETS = 100;
    /** Characters of a value; Secrets Manager takes 65,536 bytes, an access key is 40. */
    public static final int MAX_VALUE_CHARS = 4096;
    /** A name: letters, digits, {@code _} and {@code -}, 1-128 characters (no slash: it cannot leave the project's prefix). */
    public static final String NAME_RULE = "[A-Za-z0-9_-]{1,128}"; // a path segment the route table matches

    private final SecretStore store;
    private final Clock clock;

    public SecretService(SecretStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** A secret as the API shows it: never its value. Times in ms since the epoch. */
    public record Secret(String object, String name, long createTime, long updateTime) {
        static Secret of(SecretStore.Info i) {
            return new Secret("secret", i.name(), i.createTime(), i.updateTime());
        }
    }

    public record CreateRequest(String name, String value) {
    }

    public record RotateRequest(String value) {
    }

    public record Listing(String object, List<Secret> data) {
    }

    /** 201; 409 {@code secret.exists}; 400 {@code secret.bad_name}, {@code secret.bad_value}, {@code secret.too_many}. */
    public Secret create(String projectId, CreateRequest r) {
        Validation.required(r, "secret.body_required", "send a JSON body {name, value}");
        name(r.name());
        value(r.value());
        Validation.check(store.list(projectId, MAX_SECRETS).size() < MAX_SECRETS, "secret.too_many",
                "a project holds at most " + MAX_SECRETS + " secrets; delete one first");
        long now = clock.nowMillis();
        if (!store.create(projectId, r.name(), r.value(), now)) {
            throw SluiceException.conflict("secret.exists", "secret " + r.name() + " exists in this project; rotate it"
                    + " with PUT /secrets/" + r.name());
        }
        // what was just written, not a listing: Secrets Manager's ListSecrets is eventually consistent
        // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html), so a fresh secret
        // may be missing from it
        return new Secret("secret", r.name(), now, now);
    }

    /** The project's secrets (names and times), in name order. */
    public Listing list(String projectId) {
        return new Listing("list", store.list(projectId, MAX_SECRETS).stream().map(Secret::of).toList());
    }

    /** A new value for an existing secret: 404 {@code secret.not_found} when the project has none of that name. */
    public Secret rotate(String projectId, String name, RotateRequest r) {
        name(name);
        Validation.required(r, "secret.body_required", "send a JSON body {value}");
        value(r.value());
        if (!store.rotate(projectId, name, r.value(), clock.nowMillis())) {
            throw notFound(name);
        }
        return info(projectId, name);
    }

    public void delete(String projectId, String name) {
        name(name);
        if (!store.delete(projectId, name)) {
            throw notFound(name);
        }
    }

    /**
     * The value of the project's secret, for the services that use it (an execution's access key); empty when the
     * project has none of that name, whether or not another project has.
     */
    public java.util.Optional<String> value(String projectId, String name) {
        return validName(name) ? store.read(projectId, name) : java.util.Optional.empty();
    }

    /**
     * Whether the text is a valid secret name (see {@link #NAME_RULE}). Secrets Manager advises against names ending
     * in a hyphen and six characters (a partial ARN's suffix); such a name could only resolve to a secret of the same
     * project's prefix, so it is allowed.
     */
    public static boolean validName(String name) {
        return name != null && name.matches(NAME_RULE);
    }

    private Secret info(String projectId, String name) {
        return store.list(projectId, MAX_SECRETS).stream().filter(i -> i.name().equals(name)).findFirst()
                .map(Secret::of).orElseThrow(() -> notFound(name));
    }

    private static SluiceException notFound(String name) {
        return SluiceException.notFound("secret", name);
    }

    private static void name(String name) {
        Validation.check(validName(name), "secret.bad_name", "a secret's name is 1-128 letters, digits, _ and -");
    }

    private static void value(String value) {
        Validation.check(value != null && !value.isEmpty() && value.length() <= MAX_VALUE_CHARS, "secret.bad_value",
                "value is required: 1-" + MAX_VALUE_CHARS + " characters");
    }
}
