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

    JobCompletion(JobStore jobs, ObjectStore objects) {
        this.jobs = jobs;
        this.objects = objects;
    }

    public static String manifestKey(Job job) {
        return dev.sluice.core.ObjectKeys.manifest(job.projectId(), job.id());
    }

    public static String errorsKey(Job job) {
        return dev.sluice.core.ObjectKeys.errors(job.projectId(), job.id());
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
