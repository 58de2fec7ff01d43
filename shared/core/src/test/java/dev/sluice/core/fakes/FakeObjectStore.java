package dev.sluice.core.fakes;

import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.port.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * An in-memory {@link ObjectStore} with the behaviour of the S3 adapter ({@code S3ObjectStore}): {@link #open} with an
 * ETag that no longer matches throws {@link ObjectChangedException} (S3's 412), an offset at or past the end reads
 * nothing (416), a missing key throws; {@link #readItem} of a missing object throws {@link FileNotFoundException}
 * (NoSuchKey), of one over maxBytes {@link ItemFetcher.TooLargeException}, and of an object marked unreachable an
 * {@link IOException} (S3 refused). Every put gives the object a new ETag.
 */
public final class FakeObjectStore implements ObjectStore {
    private record Stored(byte[] bytes, String contentType, String etag) {
    }

    private final TreeMap<String, Stored> objects = new TreeMap<>();
    /** "bucket/key" → bytes of users' buckets that s3:// items name. */
    private final Map<String, byte[]> items = new HashMap<>();
    private final Map<String, Integer> itemReads = new HashMap<>();
    private final java.util.Set<String> unreachable = new java.util.HashSet<>();
    private final List<String> puts = new ArrayList<>();
    private int versions;

    @Override
    public UploadUrl presignPut(String key, String contentType, Duration ttl) {
        return new UploadUrl("PUT", "https://fake-s3.invalid/" + key, Map.of("Content-Type", contentType), 0);
    }

    @Override
    public String presignGet(String key, Duration ttl) {
        return "https://fake-s3.invalid/" + key;
    }

    @Override
    public synchronized Optional<ObjectInfo> head(String key) {
        Stored s = objects.get(key);
        return s == null ? Optional.empty() : Optional.of(new ObjectInfo(s.bytes.length, s.etag));
    }

    @Override
    public synchronized InputStream open(String key, long fromOffset, String ifMatchEtag) {
        Stored s = objects.get(key);
        if (s == null) {
            throw new IllegalStateException("NoSuchKey: " + key);
        }
        if (ifMatchEtag != null && !ifMatchEtag.equals(s.etag)) {
            throw new ObjectChangedException(key);
        }
        if (fromOffset >= s.bytes.length) {
            return new ByteArrayInputStream(new byte[0]);
        }
        return new ByteArrayInputStream(s.bytes, (int) fromOffset, s.bytes.length - (int) fromOffset);
    }

    @Override
    public synchronized byte[] read(String key) {
        Stored s = objects.get(key);
        if (s == null) {
            throw new IllegalStateException("NoSuchKey: " + key);
        }
        return s.bytes.clone();
    }

    @Override
    public synchronized byte[] read(String key, String ifMatchEtag) {
        Stored s = objects.get(key);
        if (s == null || !s.etag.equals(ifMatchEtag)) {
            throw new ObjectChangedException(key);
        }
        return s.bytes.clone();
    }

    @Override
    public synchronized void put(String key, byte[] bytes, String contentType) {
        objects.put(key, new Stored(bytes.clone(), contentType, "\"etag-" + ++versions + "\""));
        puts.add(key);
    }

    @Override
    public void put(String key, long length, java.util.function.Supplier<InputStream> content, String contentType) {
        byte[] bytes;
        try (InputStream in = content.get()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        if (bytes.length != length) {
            throw new IllegalStateException("put of " + key + ": " + length + " bytes declared, " + bytes.length + " given");
        }
        put(key, bytes, contentType);
    }

    @Override
    public synchronized long deletePrefix(String prefix) {
        List<String> gone = keys(prefix);
        gone.forEach(objects::remove);
        return gone.size();
    }

    @Override
    public synchronized void delete(String key) {
        objects.remove(key);
    }

    @Override
    public synchronized List<String> keys(String prefix) {
        return objects.keySet().stream().filter(k -> k.startsWith(prefix)).toList();
    }

    @Override
    public synchronized List<String> keys(String prefix, String startAfter, int max) {
        return objects.keySet().stream().filter(k -> k.startsWith(prefix))
                .filter(k -> startAfter == null || k.compareTo(startAfter) > 0).limit(max).toList();
    }

    @Override
    public synchronized byte[] readItem(String bucket, String key, long maxBytes) throws IOException {
        String name = bucket + "/" + key;
        itemReads.merge(name, 1, Integer::sum);
        if (unreachable.contains(name)) {
            throw new IOException("S3 refused s3://" + name + ": HTTP 503");
        }
        byte[] bytes = items.get(name);
        if (bytes == null) {
            throw new FileNotFoundException("s3://" + name + " does not exist");
        }
        if (bytes.length > maxBytes) {
            throw new ItemFetcher.TooLargeException();
        }
        return bytes.clone();
    }

    // ---- for tests ----

    public void putText(String key, String text) {
        put(key, text.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    public synchronized String text(String key) {
        return new String(read(key), StandardCharsets.UTF_8);
    }

    public synchronized String etag(String key) {
        return objects.get(key).etag;
    }

    public synchronized boolean exists(String key) {
        return objects.containsKey(key);
    }

    /** Keys put so far, in order, repeats included. */
    public synchronized List<String> puts() {
        return List.copyOf(puts);
    }

    /** An object of a user's bucket, for {@code s3://bucket/key} items. */
    public synchronized void putItem(String bucket, String key, byte[] bytes) {
        items.put(bucket + "/" + key, bytes.clone());
    }

    /** Reads of s3://bucket/key fail as when S3 refuses them. */
    public synchronized void makeUnreachable(String bucket, String key) {
        unreachable.add(bucket + "/" + key);
    }

    public synchronized int itemReads(String bucket, String key) {
        return itemReads.getOrDefault(bucket + "/" + key, 0);
    }
}
