package dev.sluice.core.job;

import dev.sluice.core.Json;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What an ended job leaves beside its result parts once every item is accounted for: the results manifest and the
 * errors file (the first {@value #MAX_ERRORS_IN_FILE} failed items, NDJSON). {@link JobLifecycle#settle} writes them
 * before the job's end event, which names them.
 */
public final class JobCompletion {
    private static final int MAX_ERRORS_IN_FILE = 100_000;

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
                java.util.logging.Logger.getLogger(JobCompletion.class.getName()).log(java.util.logging.Level.WARNING,
                        "results part " + partKey + " not copied to s3://" + d.bucket() + " yet; copied when the job ends", e);
            }
        });
    }

    /** Writes the manifest and the errors file (again, identically but for completeTime, when called twice). */
    JobEvent.Results writeResults(Job job, long now) {
        List<String> parts = jobs.resultParts(job.id());
        long errors = writeErrors(job);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("jobId", job.id());
        manifest.put("status", job.status());
        manifest.put("parts", parts);
        manifest.put("errors", Map.of("key", errorsKey(job), "count", errors,
                "truncated", errors >= MAX_ERRORS_IN_FILE));
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

    private long writeErrors(Job job) {
        StringBuilder ndjson = new StringBuilder();
        long count = 0;
        String cursor = null;
        do {
            JobStore.LogPage page = jobs.logs(job.id(), -1, Long.MAX_VALUE / 2, true, 1000, cursor);
            for (LogEntry e : page.entries()) {
                if (count == MAX_ERRORS_IN_FILE) {
                    break;
                }
                ndjson.append(Json.write(e)).append('\n');
                count++;
            }
            cursor = count == MAX_ERRORS_IN_FILE ? null : page.nextPage();
        } while (cursor != null);
        objects.put(errorsKey(job), ndjson.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
        return count;
    }
}
