package dev.sluice.core.webhook;

/** A signed HTTPS destination. The secret is stored, returned once at creation, never logged. */
public record Webhook(String id, String object, String name, String projectId, Spec spec, String secret,
                      long createTime, long updateTime) {
    public static final String OBJECT = "webhook";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Webhook> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.WEBHOOK, OBJECT, "webhook",
            Webhook.class);

    /** timeoutMs: how long one POST may wait for an answer (default 10 s); then it is retried as a timeout. */
    public record Spec(String endpoint, Retries retries, Long timeoutMs) {
        public static final long DEFAULT_TIMEOUT_MS = 10_000;
        public static final long MAX_TIMEOUT_MS = 30_000;

        public Spec(String endpoint, Retries retries) {
            this(endpoint, retries, null);
        }

        public java.time.Duration effectiveTimeout() {
            return java.time.Duration.ofMillis(timeoutMs == null ? DEFAULT_TIMEOUT_MS : timeoutMs);
        }
    }

    /**
     * Attempts after the first one, and the cap of the exponential backoff between attempts (ms). What is not given is
     * the default, filled in here so that the webhook as stored and echoed says what its deliveries do (OpenAPI
     * {@code Retries}: maxRetries 3, maxBackoffMs 60000), also for a record stored before the defaults were filled.
     */
    public record Retries(Integer maxRetries, Long maxBackoffMs) {
        public static final int DEFAULT_MAX_RETRIES = 3;
        public static final long DEFAULT_MAX_BACKOFF_MS = 60_000;
        public static final int MAX_MAX_RETRIES = 10;

        public Retries {
            maxRetries = maxRetries == null ? DEFAULT_MAX_RETRIES : maxRetries;
            maxBackoffMs = maxBackoffMs == null ? DEFAULT_MAX_BACKOFF_MS : maxBackoffMs;
        }

        /** The defaults. */
        public static Retries defaults() {
            return new Retries(null, null);
        }
    }

    public Webhook withoutSecret() {
        return new Webhook(id, object, name, projectId, spec, null, createTime, updateTime);
    }

    public Retries retries() {
        return spec.retries() == null ? Retries.defaults() : spec.retries();
    }
}
