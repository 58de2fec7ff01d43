package dev.sluice.execution;

/** Why a file (or, for the listing, the whole execution) cannot go on: a stable code and what to change. */
public final class FileProblem extends RuntimeException {
    public final String code;

    public FileProblem(String code, String message) {
        super(message);
        this.code = code;
    }
}
