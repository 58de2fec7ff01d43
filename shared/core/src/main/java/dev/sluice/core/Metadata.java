package dev.sluice.core;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A resource's {@code metadata}: the user's own string pairs on jobs, executions and datasets, stored and returned as
 * given and used by the listings' {@code metadata.<key>=<value>} filter. Limits follow OpenAI's batch metadata (16
 * pairs, keys of 64 characters, values of 512): enough to tag a run, too little to hold data.
 */
public final class Metadata {
    /** Most pairs on one resource. */
    public static final int MAX_PAIRS = 16;
    /** Longest key, in characters. */
    public static final int MAX_KEY_LENGTH = 64;
    /** Longest value, in UTF-16 characters. */
    public static final int MAX_VALUE_LENGTH = 512;
    /** A key: letters, digits and {@code _ - . :}, so it is one query parameter name ({@code metadata.team=…}) as is. */
    public static final Pattern KEY = Pattern.compile("[A-Za-z0-9_.:-]{1," + MAX_KEY_LENGTH + "}");

    private Metadata() {
    }

    /**
     * The metadata a request gave (null: none), checked, as an unmodifiable map in key order.
     *
     * @throws SluiceException 400 {@code metadata.too_many_pairs} (more than {@value #MAX_PAIRS}),
     *                         {@code metadata.bad_key} (not 1..{@value #MAX_KEY_LENGTH} of {@code [A-Za-z0-9_.:-]}),
     *                         {@code metadata.value_too_long} (over {@value #MAX_VALUE_LENGTH} characters),
     *                         {@code metadata.bad_value} (an unpaired surrogate or a control character)
     */
    public static Map<String, String> check(Map<String, String> given) {
        if (given == null || given.isEmpty()) {
            return Map.of();
        }
        if (given.size() > MAX_PAIRS) {
            throw SluiceException.invalid("metadata.too_many_pairs", "metadata holds " + given.size()
                    + " pairs; at most " + MAX_PAIRS);
        }
        Map<String, String> checked = new TreeMap<>();
        for (Map.Entry<String, String> pair : given.entrySet()) {
            String key = pair.getKey();
            if (key == null || !KEY.matcher(key).matches()) {
                throw SluiceException.invalid("metadata.bad_key", "metadata key " + shown(key) + " must be 1.."
                        + MAX_KEY_LENGTH + " characters of letters, digits, _ - . :");
            }
            String value = pair.getValue();
            if (value == null) {
                throw SluiceException.invalid("metadata.bad_value", "metadata." + key + " must be a string");
            }
            if (value.length() > MAX_VALUE_LENGTH) {
                throw SluiceException.invalid("metadata.value_too_long", "metadata." + key + " is " + value.length()
                        + " characters; at most " + MAX_VALUE_LENGTH);
            }
            String problem = Validation.textProblem(value);
            if (problem != null) {
                throw SluiceException.invalid("metadata.bad_value", "metadata." + key + " " + problem);
            }
            checked.put(key, value);
        }
        return Collections.unmodifiableMap(checked);
    }

    /** What a stored record holds: never null (records written before metadata existed have none). */
    public static Map<String, String> stored(Map<String, String> metadata) {
        return metadata == null ? Map.of() : metadata;
    }

    private static String shown(String key) {
        if (key == null) {
            return "null";
        }
        return "\"" + (key.length() > 80 ? key.substring(0, 80) + "…" : key) + "\"";
    }
}
