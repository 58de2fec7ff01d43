package dev.sluice.core.destination;

/**
 * The writer port of {@link Destination.S3}: objects in users' buckets (the adapter is {@code shared/aws}
 * {@code S3DestinationBuckets}; the in-memory fake {@code FakeCore}'s). Callers check the bucket with
 * {@link Destinations#allowed} before any request; the adapter refuses the data bucket again.
 */
public interface DestinationBuckets {
    /** Writes (or overwrites) one object. Throws when the bucket refuses it (the caller's message is retried). */
    void put(String bucket, String key, byte[] body, String contentType);

    /** Whether an object of that key exists (HeadObject). */
    boolean exists(String bucket, String key);
}
