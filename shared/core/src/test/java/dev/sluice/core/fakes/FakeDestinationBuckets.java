package dev.sluice.core.fakes;

import dev.sluice.core.destination.DestinationBuckets;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/** Users' buckets in memory: {@code bucket -> key -> bytes}. */
public final class FakeDestinationBuckets implements DestinationBuckets {
    private final Map<String, Map<String, byte[]>> buckets = new ConcurrentHashMap<>();
    /** While true every put fails, as S3 answers for a bucket that does not exist (NoSuchBucket). */
    public volatile boolean refusing;

    @Override
    public void put(String bucket, String key, byte[] body, String contentType) {
        if (refusing) {
            throw new IllegalStateException("NoSuchBucket: " + bucket);
        }
        buckets.computeIfAbsent(bucket, b -> new ConcurrentHashMap<>()).put(key, body.clone());
    }

    @Override
    public boolean exists(String bucket, String key) {
        return buckets.getOrDefault(bucket, Map.of()).containsKey(key);
    }

    /** The bucket's objects as text, in key order. */
    public Map<String, String> objects(String bucket) {
        Map<String, String> out = new TreeMap<>();
        buckets.getOrDefault(bucket, Map.of()).forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
        return out;
    }

    public void delete(String bucket, String key) {
        buckets.getOrDefault(bucket, Map.of()).remove(key);
    }
}
