package dev.sluice.core;

import java.util.regex.Pattern;

/** Small request checks shared by the services, each failing with a stable code (400, never a 500 further on). */
public final class Validation {
    /** Longest name of a resource, in UTF-16 characters. */
    public static final int MAX_NAME_LENGTH = 200;
    /** Longest id; ours are {@code prefix_} + 28 hex digits, DynamoDB keys take at most 1,024 bytes (sort key). */
    public static final int MAX_ID_LENGTH = 128;
    /**
     * Latest time a request may name, epoch milliseconds: 9999-12-31T23:59:59.999Z, the last instant ISO 8601's
     * four-digit years can write; anything later (e.g. {@code 9e18}) is a mistake, and sums with it could overflow.
     */
    public static final long MAX_TIME_MILLIS = 253_402_300_799_999L;
    /** Longest URL a request may give (webhook endpoints): what browsers, CDNs and API Gateway commonly accept. */
    public static final int MAX_URL_LENGTH = 2048;
    /** A code is lower-case dotted words: {@code dataset.not_found}. Every code Sluice answers with matches. */
    public static final Pattern CODE = Pattern.compile("^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)+$");
    private static final Pattern ID_TAIL = Pattern.compile("^[A-Za-z0-9_-]+$");

    private Validation() {
    }

    /**
     * A resource name: non-blank, at most {@value #MAX_NAME_LENGTH} characters, valid Unicode (no unpaired surrogate,
     * which is what invalid UTF-8 or a lone {@code \ud800} escape becomes), no control characters (C0, DEL, C1) and no
     * line or paragraph separators. Codes: {@code <what>.name_required}, {@code <what>.name_too_long},
     * {@code <what>.bad_name}.
     */
    public static String name(String name, String what) {
        if (name == null || name.isBlank()) {
            throw SluiceException.invalid(what + ".name_required", what + " needs a non-empty \"name\"");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw SluiceException.invalid(what + ".name_too_long", what + " name must be at most " + MAX_NAME_LENGTH
                    + " characters");
        }
        String problem = textProblem(name);
        if (problem != null) {
            throw SluiceException.invalid(what + ".bad_name", what + " name " + problem);
        }
        return name;
    }

    /** The index of the first unpaired surrogate (text that no UTF-8 can encode), or -1. */
    public static int unpairedSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /** null when the text is valid Unicode without control characters; otherwise what is wrong with it. */
    public static String textProblem(String text) {
        int surrogate = unpairedSurrogate(text);
        if (surrogate >= 0) {
            return "is not valid Unicode (an unpaired surrogate at character " + surrogate + ": invalid UTF-8?)";
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
                return "has a control character (U+" + String.format("%04X", (int) c) + ") at character " + i;
            }
        }
        return null;
    }

    /**
     * An id given in a request body for a resource of the kind {@code prefix}: {@code prefix_} then letters, digits,
     * '_' or '-', at most {@value #MAX_ID_LENGTH} characters in all. A missing id is the caller's check.
     *
     * @param code  the code of the refusal, e.g. {@code job.bad_dataset_id}
     * @param field the field as the user wrote it, e.g. {@code spec.datasetId}
     */
    public static String id(String id, String prefix, String code, String field) {
        if (id == null) {
            return null;
        }
        boolean ok = id.length() <= MAX_ID_LENGTH && id.startsWith(prefix + "_")
                && id.length() > prefix.length() + 1 && ID_TAIL.matcher(id.substring(prefix.length() + 1)).matches();
        if (!ok) {
            throw SluiceException.invalid(code, field + " must be a " + prefix + "_… id (at most " + MAX_ID_LENGTH
                    + " characters: letters, digits, '_' or '-')");
        }
        return id;
    }

    /** An epoch-millisecond time in a request: null, or 0..{@link #MAX_TIME_MILLIS}. */
    public static Long time(Long millis, String code, String field) {
        if (millis != null && (millis < 0 || millis > MAX_TIME_MILLIS)) {
            throw SluiceException.invalid(code, field + " must be epoch milliseconds between 0 and " + MAX_TIME_MILLIS
                    + " (9999-12-31T23:59:59.999Z); got " + millis);
        }
        return millis;
    }

    public static <T> T required(T value, String code, String message) {
        if (value == null) {
            throw SluiceException.invalid(code, message);
        }
        return value;
    }

    public static void check(boolean condition, String code, String message) {
        if (!condition) {
            throw SluiceException.invalid(code, message);
        }
    }
}
