package dev.sluice.core;

/**
 * A failure the caller can act on: a stable dotted code ({@code dataset.not_found}), a kind that the API maps to an
 * HTTP status in one place, and a message that says what to change.
 */
public class SluiceException extends RuntimeException {
    /** How the API answers: 400, 401, 404, 405 (the route exists, not with this method), 409, 413. */
    public enum Kind { INVALID, UNAUTHORIZED, NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, TOO_LARGE }

    private final Kind kind;
    private final String code;

    public SluiceException(Kind kind, String code, String message) {
        super(message);
        this.kind = kind;
        this.code = code;
    }

    public static SluiceException invalid(String code, String message) {
        return new SluiceException(Kind.INVALID, code, message);
    }

    public static SluiceException notFound(String what, String id) {
        // the code is the resource's name in snake case ("api key" → api_key.not_found): codes have no spaces
        return new SluiceException(Kind.NOT_FOUND, what.replace(' ', '_') + ".not_found", what + " "
                + shown(id) + " does not exist in this project");
    }

    /** An id as an error message shows it: a very long one is cut (a 5,000-character id is not echoed in full). */
    static String shown(String id) {
        return id != null && id.length() > 140 ? id.substring(0, 128) + "…(" + id.length() + " characters)" : id;
    }

    public static SluiceException conflict(String code, String message) {
        return new SluiceException(Kind.CONFLICT, code, message);
    }

    public Kind kind() {
        return kind;
    }

    public String code() {
        return code;
    }
}
