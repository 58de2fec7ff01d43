package dev.sluice.core.destination;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a job's results and events go: one entry of {@code spec.resultDelivery.destinations}, told apart on the wire by
 * {@code kind} ({@code docs/openapi.yaml} {@code Destination}). A job names at most one destination of each kind
 * ({@link Destinations#check}).
 *
 * <ul>
 *   <li>{@link Webhook}: one signed POST per predicted item, and the job events the webhook subscribes to;</li>
 *   <li>{@link S3}: one object per committed results part, written as parts are committed, and a manifest at the
 *       end, in a bucket the operator allows ({@link S3Results});</li>
 *   <li>{@link EventBridge}: job events only, never items.</li>
 * </ul>
 * Adding a kind: a record here (and in {@code permits}, {@link JsonSubTypes}), its writer port beside it, the adapter
 * in {@code shared/aws}, its checks in {@link Destinations#check} — CONTRIBUTING "A new destination kind".
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = Destination.Webhook.class, name = "Webhook"),
        @JsonSubTypes.Type(value = Destination.S3.class, name = "S3"),
        @JsonSubTypes.Type(value = Destination.EventBridge.class, name = "EventBridge")})
public sealed interface Destination {

    /** Items (one signed POST each) and subscribed job events go to the project's webhook {@code webhookId}. */
    record Webhook(String webhookId) implements Destination {
    }

    /**
     * Results parts as objects of a bucket the operator allows ({@code SLUICE_EXECUTION_BUCKETS}, never the data
     * bucket). Every key starts with the project's id: {@code {projectId}/{prefix}{jobId}/…}
     * ({@link S3Results#root}), so a project writes only under its own folder of a bucket several projects share.
     *
     * @param bucket the bucket's name
     * @param prefix a key prefix, at most {@value Destinations#MAX_PREFIX} characters of {@code [A-Za-z0-9!_.*'()/-]},
     *               no {@code ..}, not starting with {@code /}; empty or absent: none
     * @param format the objects' format, {@link Format#ndjson} when absent
     */
    record S3(String bucket, String prefix, Format format) implements Destination {
        /** The format the objects are written in. */
        public Format effectiveFormat() {
            return format == null ? Format.ndjson : format;
        }

        /** The prefix as keys use it: empty, or ending with one {@code /}. */
        public String effectivePrefix() {
            if (prefix == null || prefix.isEmpty()) {
                return "";
            }
            return prefix.endsWith("/") ? prefix : prefix + "/";
        }
    }

    /** Job events (never items) go to the event bus {@code eventBusName} of the deployment's account and region. */
    record EventBridge(String eventBusName) implements Destination {
    }

    /**
     * The format of an S3 destination's objects: NDJSON, one line per item as the webhook's bodies (Parquet is not
     * built yet: a job naming it is refused as any unknown value is).
     */
    enum Format {
        ndjson("application/x-ndjson", ".ndjson");

        private final String contentType;
        private final String extension;

        Format(String contentType, String extension) {
            this.contentType = contentType;
            this.extension = extension;
        }

        public String contentType() {
            return contentType;
        }

        public String extension() {
            return extension;
        }

        @JsonValue
        public String wire() {
            return name();
        }
    }
}
