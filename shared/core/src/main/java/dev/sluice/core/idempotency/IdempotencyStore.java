package dev.sluice.core.idempotency;

import java.util.Optional;

/**
 * Where idempotency records live, each under its project and the digest of its key (never the key itself). The
 * DynamoDB adapter keeps them in the catalog table beside the project's other records; a claim is one conditional
 * write, so of several requests racing with one key exactly one holds the claim.
 */
public interface IdempotencyStore {
    /** A record: the request's fingerprint, whether its answer is stored, the answer (sealed), and when it lapses. */
    record Entry(String fingerprint, State state, String sealedResponse, long lockedUntilMillis, long expiresAtMillis) {
    }

    enum State {
        /** A request holds the key and is running (until {@code lockedUntilMillis}, after which it is presumed dead). */
        IN_PROGRESS,
        /** The request ended with a success; its sealed answer is stored. */
        COMPLETED
    }

    /**
     * Claims the key for a request, in one conditional write: succeeds when no record exists, the record lapsed
     * ({@code expiresAtMillis} passed) or its holder is presumed dead (in progress past {@code lockedUntilMillis}).
     *
     * @return empty when this request now holds the key; else the record that stands in its way
     */
    Optional<Entry> claim(String projectId, String keyDigest, String fingerprint, long nowMillis, long lockedUntilMillis,
                          long expiresAtMillis);

    /** Stores the answer of the request holding the key (conditional on it still holding it: same fingerprint, in progress). */
    void complete(String projectId, String keyDigest, String fingerprint, String sealedResponse);

    /** Drops the claim of a request that failed, so the key may be used again (conditional on it being in progress). */
    void release(String projectId, String keyDigest, String fingerprint);

    /** The record, read consistently; empty when there is none. */
    Optional<Entry> get(String projectId, String keyDigest);
}
