package dev.sluice.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The filters of a listing (jobs, executions, datasets), from its query parameters; each null or empty when absent.
 * A resource is listed when it matches all of them:
 * <ul>
 *   <li>{@code status}: its {@code status.overview} is this state ({@code request.bad_status} when the kind has no
 *       such state);</li>
 *   <li>{@code namePrefix}: its name starts with this text (case-sensitive);</li>
 *   <li>{@code metadata.<key>=<value>}, any number: its metadata holds each pair exactly
 *       ({@code request.bad_metadata_filter} when the key could not be a metadata key, see {@link Metadata#KEY});</li>
 *   <li>{@code createdAfter}, {@code createdBefore}: epoch milliseconds, exclusive bounds on its {@code createTime}
 *       ({@code request.bad_created_after}, {@code request.bad_created_before} when not an integer).</li>
 * </ul>
 * A cursor is bound to the filter it was handed out with ({@link #key}): the next page of another filter is 400
 * {@code request.bad_cursor}, never a page that silently mixes two listings.
 */
public record ListFilter(String status, String namePrefix, Map<String, String> metadata, Long createdAfter,
                         Long createdBefore) {
    /** The query parameter prefix of a metadata filter. */
    public static final String METADATA_PREFIX = "metadata.";
    /** The query parameters a filtered listing takes besides {@code limit} and {@code page}. */
    public static final Set<String> PARAMETERS = Set.of("status", "namePrefix", "createdAfter", "createdBefore");
    /** No filter: every resource. */
    public static final ListFilter NONE = new ListFilter(null, null, Map.of(), null, null);

    public ListFilter {
        metadata = metadata == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadata));
    }

    /**
     * The filter in a request's query parameters (others are ignored here: the router refuses unknown ones).
     *
     * @param states the states a resource of the listed kind can be in (the names {@code status} may take)
     */
    public static ListFilter of(Map<String, String> query, Set<String> states) {
        if (query == null || query.isEmpty()) {
            return NONE;
        }
        String status = blankToNull(query.get("status"));
        if (status != null && !states.contains(status)) {
            throw SluiceException.invalid("request.bad_status", "status must be one of "
                    + String.join(", ", new java.util.TreeSet<>(states)));
        }
        Map<String, String> metadata = new TreeMap<>();
        for (Map.Entry<String, String> p : query.entrySet()) {
            if (p.getKey().startsWith(METADATA_PREFIX)) {
                String key = p.getKey().substring(METADATA_PREFIX.length());
                if (!Metadata.KEY.matcher(key).matches()) {
                    throw SluiceException.invalid("request.bad_metadata_filter", "metadata filter " + p.getKey()
                            + ": the key after metadata. must be 1.." + Metadata.MAX_KEY_LENGTH
                            + " characters of letters, digits, _ - . :");
                }
                metadata.put(key, p.getValue() == null ? "" : p.getValue());
            }
        }
        return new ListFilter(status, blankToNull(query.get("namePrefix")), metadata,
                time(query.get("createdAfter"), "request.bad_created_after", "createdAfter"),
                time(query.get("createdBefore"), "request.bad_created_before", "createdBefore"));
    }

    /** True when no filter is set. */
    public boolean isEmpty() {
        return equals(NONE);
    }

    /** Whether a resource with this state, name, metadata and creation time (epoch ms) is listed. */
    public boolean matches(Enum<?> state, String name, Map<String, String> resourceMetadata, long createTime) {
        if (status != null && (state == null || !state.name().equals(status))) {
            return false;
        }
        if (namePrefix != null && (name == null || !name.startsWith(namePrefix))) {
            return false;
        }
        if (createdAfter != null && createTime <= createdAfter || createdBefore != null && createTime >= createdBefore) {
            return false;
        }
        Map<String, String> held = resourceMetadata == null ? Map.of() : resourceMetadata;
        for (Map.Entry<String, String> pair : metadata.entrySet()) {
            if (!pair.getValue().equals(held.get(pair.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /**
     * What a cursor carries to bind it to this filter: empty for no filter (so the cursors of unfiltered listings are
     * what they were), else {@code ~f} and 20 hex digits of the SHA-256 of the canonical filter (a cursor may hold no
     * {@code |} and stays short whatever the filter's size).
     */
    public String key() {
        if (isEmpty()) {
            return "";
        }
        StringBuilder canonical = new StringBuilder();
        canonical.append("s=").append(status).append("\u0000n=").append(namePrefix)
                .append("\u0000a=").append(createdAfter).append("\u0000b=").append(createdBefore);
        metadata.forEach((k, v) -> canonical.append("\u0000m.").append(k).append('=').append(v));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return "~f" + HexFormat.of().formatHex(hash, 0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String blankToNull(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    private static Long time(String value, String code, String name) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(code, name + " must be an integer (epoch milliseconds)");
        }
    }
}
