package dev.sluice.core.job;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.pipeline.Stage;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What happens when a job's last item is accounted for: the job becomes Finished (a conditional write on exact
 * counters), the results manifest and the errors file are written beside the result parts, and one signed
 * {@code job.completed} event goes to the job's webhook (like Cortex's on_job_complete). Called after every commit
 * that can complete a job; the ledger makes the event one per job (a race between two workers can send it twice, with
 * the same request id, which receivers de-duplicate on).
 */
public final class JobCompletion {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobCompletion.class);
    public static final long COMPLETION_EVENT_INDEX = -1;
    private static final int MAX_ERRORS_IN_FILE = 100_000;

    private final JobStore jobs;
    private final ObjectStore objects;
    private final BatchQueue queue;
    private final Clock clock;

    public JobCompletion(JobStore jobs, ObjectStore objects, BatchQueue queue, Clock clock) {
        this.jobs = jobs;
        this.objects = objects;
        this.queue = queue;
        this.clock = clock;
    }

    public static String manifestKey(Job job) {
        return dev.sluice.core.ObjectKeys.manifest(job.projectId(), job.id());
    }

    public static String errorsKey(Job job) {
        return dev.sluice.core.ObjectKeys.errors(job.projectId(), job.id());
    }

    public void settle(String jobId) {
        jobs.finishIfComplete(jobId, clock.nowMillis());
        Job job = jobs.get(jobId).orElse(null);
        if (job == null || !job.status().overview().isTerminal()) {
            return;
        }
        boolean accounted = job.status().items().terminal() >= job.status().itemCount()
                || job.status().overview() == JobState.Failed;
        if (!accounted || jobs.isCommitted(jobId, Stage.COMPLETION, "event")) {
            return;
        }
        List<String> parts = jobs.resultParts(jobId);
        long errors = writeErrors(job);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("jobId", job.id());
        manifest.put("status", job.status());
        manifest.put("parts", parts);
        manifest.put("errors", Map.of("key", errorsKey(job), "count", errors,
                "truncated", errors >= MAX_ERRORS_IN_FILE));
        manifest.put("createTime", job.createTime());
        manifest.put("completeTime", clock.nowMillis());
        objects.put(manifestKey(job), Json.write(manifest).getBytes(StandardCharsets.UTF_8), "application/json");
        String webhookId = job.spec().webhookId();
        if (webhookId != null) {
            Map<String, Object> event = new LinkedHashMap<>();
            event.put("type", "job.completed");
            event.put("jobId", job.id());
            event.put("projectId", job.projectId());
            event.put("status", job.status());
            event.put("timings", Map.of("createTime", job.createTime(), "completeTime", clock.nowMillis(),
                    "durationMs", clock.nowMillis() - job.createTime()));
            event.put("results", Map.of("manifest", manifestKey(job), "parts", parts.size(), "errors", errorsKey(job)));
            queue.send(BatchQueue.Name.DELIVERY, new DeliveryMessage(job.id(), "job-completed", webhookId,
                    List.of(new DeliveryMessage.Payload(COMPLETION_EVENT_INDEX, null, Json.write(event))), true).envelope()
                    .forProject(job.projectId()), 0);
        }
        if (jobs.commit(new JobStore.StageCommit(jobId, Stage.COMPLETION, "event", ItemCounters.ZERO, List.of(),
                clock.nowMillis(), null))) {
            ItemCounters c = job.status().items();
            try (var ids = dev.sluice.core.observe.LogScope.of(dev.sluice.core.observe.LogKey.PROJECT_ID, job.projectId())
                    .and(dev.sluice.core.observe.LogKey.JOB_ID, jobId)) {
                LOG.info("job finished {}: {} of {} items delivered, {} failed, {} skipped; {} errors in its errors file",
                        job.status().overview(), c.delivered(), job.status().itemCount(),
                        c.failedGather() + c.failedProcess() + c.failedPredict() + c.failedDeliver(), c.skipped(), errors);
            }
        }
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
