package dev.sluice.core.port;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** The data bucket (datasets, models, results) and read access to users' {@code s3://} items. */
public interface ObjectStore {
    record UploadUrl(String method, String url, Map<String, String> headers, long expiresAtTime) {
    }

    record ObjectInfo(long sizeBytes, String etag) {
    }

    /**
     * A URL that uploads the object once: the PUT carries a signed {@code If-None-Match: *} (S3 conditional writes),
     * so it fails with 412 when an object of that key exists (a second upload, an upload after validation or after a
     * delete left its tombstone). S3 has no content-length range for a presigned PUT: sizes are checked when the object
     * is validated.
     */
    UploadUrl presignPut(String key, String contentType, Duration ttl);

    /** A URL that reads the object without credentials until it expires. */
    String presignGet(String key, Duration ttl);

    Optional<ObjectInfo> head(String key);

    /**
     * Streams the object from a byte offset. When {@code ifMatchEtag} is given and the object changed since, throws
     * {@link ObjectChangedException}.
     */
    InputStream open(String key, long fromOffset, String ifMatchEtag);

    byte[] read(String key);

    /**
     * The whole object, only while its ETag is the given one (GetObject with If-Match); throws
     * {@link ObjectChangedException} when it changed or is gone.
     */
    byte[] read(String key, String ifMatchEtag);

    void put(String key, byte[] bytes, String contentType);

    /**
     * Writes an object of exactly {@code length} bytes that {@code content} produces, without holding them (one
     * PutObject, streamed: at most 5 GiB). {@code content} is called again when the request is sent again, and must give
     * the same bytes each time; the stream it gives is closed after the upload.
     */
    void put(String key, long length, java.util.function.Supplier<InputStream> content, String contentType);

    /**
     * Deletes every object of the data bucket under the prefix, one listing page (at most 1,000 keys) at a time, so
     * memory does not grow with the number of objects (issue 24 item 6).
     *
     * @return how many objects were deleted
     */
    long deletePrefix(String prefix);

    /** Deletes one object of the data bucket; nothing happens when there is none. */
    void delete(String key);

    /** Every key of the data bucket under the prefix, in key order. */
    java.util.List<String> keys(String prefix);

    /**
     * At most {@code max} (1..1,000: one ListObjectsV2 page) keys of the data bucket under the prefix that sort after
     * {@code startAfter} (null: from the first), in key order.
     */
    java.util.List<String> keys(String prefix, String startAfter, int max);

    /** Reads an item from any bucket the functions may read ({@code s3://bucket/key}), refusing more than maxBytes. */
    byte[] readItem(String bucket, String key, long maxBytes) throws IOException;

    class ObjectChangedException extends RuntimeException {
        public ObjectChangedException(String key) {
            super("object " + key + " changed since it was validated");
        }
    }
}
