package dev.sluice.core.job;

import dev.sluice.core.Json;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an ended job leaves beside its result parts once every item is accounted for: the results manifest and the
 * errors file (the first {@value #MAX_ERRORS_IN_FILE} failed items, at most {@value #MAX_ERRORS_BYTES} bytes, NDJSON). {@link JobLifecycle#settle} writes them
 * before the job's end event, which names them.
 */
public final class JobCompletion {
    private static final int MAX_ERRORS_IN_FILE = 100_000;
    /**
     * The errors file's bytes at most: it is made in memory by whichever worker settles the job, and a failed item's
     * log entry holds up to 2 × 2,048 characters of URL and reason, so 100,000 of them could be ~400 MB (memory by
     * input: a dataset of long failing URLs ran the settling function out of memory, and the redelivered settle again).
     */
    static final int MAX_ERRORS_BYTES = 32 * 1024 * 1024;

    private final JobStore jobs;
    private final ObjectStore objects;
    private final dev.sluice.core.destination.S3Results s3;

    /** @param s3 writes the results of jobs with an S3 destination */
    JobCompletion(JobStore jobs, ObjectStore objects, dev.sluice.core.destination.S3Results s3) {
        this.s3 = s3;
        this.jobs = jobs;
        this.objects = objects;
    }

    public static String manifestKey(Job job) {
        return dev.sluice.core.ObjectKeys.manifest(job.projectId(), job.id());
    }

    public static String errorsKey(Job job) {
        return dev.sluice.core.ObjectKeys.errors(job.projectId(), job.id());
    }

    /**
     * A results part whose commit was applied (the ledger names it): copied to the job's S3 destination when it has
     * one. A copy that fails here is made when the job ends ({@link dev.sluice.core.destination.S3Results}).
     *
     * @param ndjson the part's content as written to the data bucket
     */
    void resultsPartCommitted(Job job, String partKey, String ndjson) {
        job.spec().s3().ifPresent(d -> {
            try {
                s3.partCommitted(job.projectId(), job.id(), d, partKey, ndjson);
            } catch (RuntimeException e) {
                try (var ids = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.PROJECT_ID,
                        job.projectId()).and(dev.sluice.core.observe.LogKey.JOB_ID, job.id())) {
                    org.slf4j.LoggerFactory.getLogger(JobCompletion.class).warn("results part {} not copied to s3://{}"
                            + " yet; copied when the job ends", partKey, d.bucket(), e);
                }
            }
        });
    }

    /** Writes the manifest and the errors file (again, identically but for completeTime, when called twice). */
    JobEvent.Results writeResults(Job job, long now) {
        List<String> parts = jobs.resultParts(job.id());
        Errors errors = writeErrors(job);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("jobId", job.id());
        manifest.put("status", job.status());
        manifest.put("parts", parts);
        manifest.put("errors", Map.of("key", errorsKey(job), "count", errors.count(), "truncated", errors.truncated()));
        manifest.put("createTime", job.createTime());
        manifest.put("completeTime", now);
        objects.put(manifestKey(job), Json.write(manifest).getBytes(StandardCharsets.UTF_8), "application/json");
        job.spec().s3().ifPresent(d -> {
            Map<String, Object> copy = new LinkedHashMap<>(manifest);
            copy.remove("parts");
            copy.remove("errors");
            s3.completed(job.projectId(), job.id(), d, parts, copy);
        });
        return new JobEvent.Results(manifestKey(job), parts.size(), errorsKey(job));
    }

    /** What the errors file holds: how many entries, and whether failed items were left out (a cap was met). */
    private record Errors(long count, boolean truncated) {
    }

    private Errors writeErrors(Job job) {
        java.io.ByteArrayOutputStream ndjson = new java.io.ByteArrayOutputStream();
        long count = 0;
        boolean truncated = false;
        String cursor = null;
        do {
            JobStore.LogPage page = jobs.logs(job.id(), -1, Long.MAX_VALUE / 2, true, 1000, cursor);
            for (LogEntry e : page.entries()) {
                byte[] line = (Json.write(e) + "\n").getBytes(StandardCharsets.UTF_8);
                if (count == MAX_ERRORS_IN_FILE || ndjson.size() + line.length > MAX_ERRORS_BYTES) {
                    truncated = true;
                    break;
                }
                ndjson.writeBytes(line);
                count++;
            }
            cursor = truncated ? null : page.nextPage();
        } while (cursor != null);
        objects.put(errorsKey(job), ndjson.toByteArray(), "application/x-ndjson");
        return new Errors(count, truncated);
    }
}
