package dev.sluice.core.destination;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.Json;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a job's results to its {@link Destination.S3}: one object per committed results part, and a manifest when
 * the job ends.
 *
 * <p>Exactly once: a results part is copied only after the transaction that names it in the ledger was applied
 * ({@link #partCommitted}); a part an invocation wrote and never committed (it died, or a copy of one of its batches
 * committed first) is never copied, so no item is in two objects. A copy lost to a crash between the commit and the
 * copy is made when the job ends ({@link #completed}, which copies every committed part whose object is missing
 * before writing the manifest). An object is named by its part (itself named by the set of batches it holds), so a
 * copy made twice overwrites the same bytes.
 *
 * <p>Layout, under {@link #root}: {@code results/{part}.ndjson} and {@code manifest.json}
 * ({@code {jobId, status, parts: [keys], createTime, completeTime}}).
 */
public final class S3Results {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(S3Results.class);

    private final DestinationBuckets buckets;
    private final ObjectStore data;
    private final AllowedBuckets allowed;

    /**
     * @param data    the data bucket, where committed parts are read from when the job ends
     * @param allowed the buckets a destination may name (checked again before every write)
     */
    public S3Results(DestinationBuckets buckets, ObjectStore data, AllowedBuckets allowed) {
        this.buckets = buckets;
        this.data = data;
        this.allowed = allowed;
    }

    /** {@code {projectId}/{prefix}{jobId}/}: the project's id leads every key the destination writes. */
    public static String root(String projectId, String jobId, Destination.S3 d) {
        return projectId + "/" + d.effectivePrefix() + jobId + "/";
    }

    /** The destination's object of a data-bucket results part ({@code …/parts/{name}.ndjson}). */
    public static String objectKey(String projectId, String jobId, Destination.S3 d, String partKey) {
        String name = partKey.substring(partKey.lastIndexOf('/') + 1);
        if (name.endsWith(".ndjson")) {
            name = name.substring(0, name.length() - ".ndjson".length());
        }
        return root(projectId, jobId, d) + "results/" + name + d.effectiveFormat().extension();
    }

    public static String manifestKey(String projectId, String jobId, Destination.S3 d) {
        return root(projectId, jobId, d) + "manifest.json";
    }

    /** Copies a part whose commit was applied; {@code ndjson} is its content as written to the data bucket. */
    public void partCommitted(String projectId, String jobId, Destination.S3 d, String partKey, String ndjson) {
        write(d, objectKey(projectId, jobId, d, partKey), ndjson);
    }

    /**
     * Copies every committed part still missing, then writes the manifest.
     *
     * @param parts    the data-bucket keys of the job's committed parts (the ledger's)
     * @param manifest the manifest's other fields (jobId, status, times); {@code parts} is added
     */
    public void completed(String projectId, String jobId, Destination.S3 d, List<String> parts,
                          Map<String, Object> manifest) {
        List<String> keys = new ArrayList<>();
        for (String part : parts) {
            String key = objectKey(projectId, jobId, d, part);
            if (!buckets.exists(d.bucket(), key)) {
                write(d, key, new String(data.read(part), StandardCharsets.UTF_8));
                // logged once written: a write that throws (a missing bucket) is not reported as a copy
                try (var ids = LogScope.of(LogKey.PROJECT_ID, projectId).and(LogKey.JOB_ID, jobId)) {
                    LOG.info("results part {} copied at completion", part);
                }
            }
            keys.add(key);
        }
        Map<String, Object> body = new LinkedHashMap<>(manifest);
        body.put("parts", keys);
        check(d);
        buckets.put(d.bucket(), manifestKey(projectId, jobId, d), Json.write(body).getBytes(StandardCharsets.UTF_8),
                "application/json");
    }

    private void write(Destination.S3 d, String key, String ndjson) {
        check(d);
        byte[] bytes = switch (d.effectiveFormat()) {
            case ndjson -> ndjson.getBytes(StandardCharsets.UTF_8);
        };
        buckets.put(d.bucket(), key, bytes, d.effectiveFormat().contentType());
    }

    private void check(Destination.S3 d) {
        if (!allowed.allows(d.bucket())) {
            throw new IllegalStateException("bucket " + d.bucket() + " is no longer one the operator allows");
        }
    }
}
