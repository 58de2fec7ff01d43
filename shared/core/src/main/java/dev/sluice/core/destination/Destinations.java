package dev.sluice.core.destination;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.Ids;
import dev.sluice.core.Validation;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * A job's destinations ({@code spec.resultDelivery.destinations}): the checks a job's create makes, and the lookups the
 * stages use. Every refusal is a 400 {@code job.bad_destination} naming the field.
 */
public final class Destinations {
    public static final int MAX_PREFIX = 512;
    /** S3's "safe characters" for keys (Amazon S3 User Guide, "Object key naming guidelines"), and {@code /}. */
    private static final Pattern PREFIX = Pattern.compile("^[A-Za-z0-9!_.*'()/-]*$");
    /** EventBridge event bus names (API reference, PutEvents {@code EventBusName}): 1..256 of these. */
    private static final Pattern BUS = Pattern.compile("^[A-Za-z0-9._\\-/]{1,256}$");

    private Destinations() {
    }

    /**
     * Checks a job's destinations before it is created.
     *
     * @param destinations the spec's list (null: none)
     * @param buckets      the buckets an {@link Destination.S3} may name (the operator's execution buckets, never the
     *                     data bucket)
     * @param webhookOf    throws the 404 of a webhook the project does not have
     * @throws dev.sluice.core.SluiceException {@code job.bad_destination} (a kind twice, a bad field, a bucket not
     *                                         allowed) or the webhook's 404
     */
    public static void check(List<Destination> destinations, AllowedBuckets buckets, Consumer<String> webhookOf) {
        if (destinations == null) {
            return;
        }
        Set<Class<?>> seen = new HashSet<>();
        for (int i = 0; i < destinations.size(); i++) {
            Destination d = destinations.get(i);
            String at = "spec.resultDelivery.destinations[" + i + "]";
            Validation.check(seen.add(d.getClass()), "job.bad_destination",
                    at + ": a job names at most one destination of each kind (kind " + kind(d) + " twice)");
            switch (d) {
                case Destination.Webhook w -> {
                    Validation.id(w.webhookId(), Ids.WEBHOOK, "job.bad_webhook_id", at + ".webhookId");
                    Validation.check(w.webhookId() != null, "job.bad_destination", at + ".webhookId is required");
                    webhookOf.accept(w.webhookId());
                }
                case Destination.S3 s -> {
                    Validation.check(s.bucket() != null && !s.bucket().isEmpty(), "job.bad_destination",
                            at + ".bucket is required");
                    Validation.check(buckets.allows(s.bucket()), "job.bad_destination", at + ".bucket: bucket "
                            + s.bucket() + " is not one the operator allows (SLUICE_EXECUTION_BUCKETS; CDK"
                            + " executionBuckets, SAM ExecutionBuckets); the service's data bucket never is");
                    String prefix = s.prefix() == null ? "" : s.prefix();
                    Validation.check(prefix.length() <= MAX_PREFIX && PREFIX.matcher(prefix).matches()
                                    && !prefix.startsWith("/") && !prefix.contains("..") && !prefix.contains("//"),
                            "job.bad_destination", at + ".prefix must be at most " + MAX_PREFIX
                                    + " characters of A-Z a-z 0-9 ! _ . * ' ( ) - /, not start with /, without .. or //");
                }
                case Destination.EventBridge e -> {
                    Validation.check(e.eventBusName() != null && BUS.matcher(e.eventBusName()).matches(),
                            "job.bad_destination", at + ".eventBusName must be 1..256 characters of A-Z a-z 0-9 . _ - /");
                    // job events to EventBridge come with the job lifecycle's events (issue 23 item 3): until its
                    // adapter is wired, a job naming one is refused rather than accepted and never sent to
                    throw dev.sluice.core.SluiceException.invalid("job.destination_unavailable", at
                            + ": EventBridge destinations are not available in this build yet; use a Webhook for job events");
                }
            }
        }
    }

    /** The wire name of a destination's kind. */
    public static String kind(Destination d) {
        return switch (d) {
            case Destination.Webhook w -> "Webhook";
            case Destination.S3 s -> "S3";
            case Destination.EventBridge e -> "EventBridge";
        };
    }

    /** The first destination of that kind. */
    public static <D extends Destination> Optional<D> first(List<Destination> destinations, Class<D> kind) {
        if (destinations == null) {
            return Optional.empty();
        }
        return destinations.stream().filter(kind::isInstance).map(kind::cast).findFirst();
    }
}
