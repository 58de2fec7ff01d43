package dev.sluice.core.job;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.deployment.DeploymentTarget;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.webhook.WebhookService;

/** Creating, reading and listing jobs. A created job is Waiting; the fan-out moves it to Running. */
public final class JobService {
    private final JobStore jobs;
    private final DatasetService datasets;
    private final ModelService models;
    private final WebhookService webhooks;
    private final BatchQueue queue;
    private final Clock clock;
    private final JobLifecycle lifecycle;
    private final dev.sluice.core.deployment.DeploymentService deployments;
    private final dev.sluice.core.port.ObjectStore objects;

    public JobService(JobStore jobs, DatasetService datasets, ModelService models, WebhookService webhooks,
                      BatchQueue queue, Clock clock, JobLifecycle lifecycle, dev.sluice.core.port.ObjectStore objects,
                      dev.sluice.core.deployment.DeploymentService deployments) {
        this.deployments = deployments;
        this.objects = objects;
        this.lifecycle = lifecycle;
        this.jobs = jobs;
        this.datasets = datasets;
        this.models = models;
        this.webhooks = webhooks;
        this.queue = queue;
        this.clock = clock;
    }

    /** metadata: up to 16 string pairs, see {@link dev.sluice.core.Metadata#check}. */
    public record CreateRequest(String name, JobSpec spec, java.util.Map<String, String> metadata) {
        public CreateRequest(String name, JobSpec spec) {
            this(name, spec, null);
        }
    }

    public Job create(String projectId, CreateRequest request) {
        Validation.required(request, "job.body_required", "send a JSON body {name, spec:{datasetId, deployment, resultDelivery}}");
        Validation.name(request.name(), "job");
        JobSpec given = Validation.required(request.spec(), "job.spec_required", "job needs a spec");
        java.util.Map<String, String> metadata = dev.sluice.core.Metadata.check(request.metadata());
        // ids and times are checked before anything is looked up with them (a 5,000-character id is a 400 here,
        // not a key DynamoDB refuses later)
        Validation.id(given.datasetId(), Ids.DATASET, "job.bad_dataset_id", "spec.datasetId");
        Validation.id(given.retryOf(), Ids.JOB, "job.bad_retry_of", "spec.retryOf");
        if (given.deployment() != null) {
            Validation.id(given.deployment().modelId(), Ids.MODEL, "job.bad_model_id", "spec.deployment.modelId");
            Validation.id(given.deployment().deploymentId(), dev.sluice.core.deployment.DeploymentService.PREFIX,
                    "job.bad_deployment_id", "spec.deployment.deploymentId");
        }
        if (given.resultDelivery() != null && given.resultDelivery().destinations() != null) {
            for (JobSpec.Destination d : given.resultDelivery().destinations()) {
                Validation.id(d == null ? null : d.webhookId(), Ids.WEBHOOK, "job.bad_webhook_id",
                        "spec.resultDelivery.destinations[].webhookId");
            }
        }
        Validation.time(given.startAtTime(), "job.bad_times", "spec.startAtTime");
        Validation.time(given.stopAtTime(), "job.bad_times", "spec.stopAtTime");
        JobSpec spec = resolveDeployment(projectId, given);
        Validation.required(spec.datasetId(), "job.dataset_required", "spec.datasetId is required");
        Validation.check(spec.deployment() != null && spec.deployment().modelId() != null, "job.model_required",
                "spec.deployment needs a deploymentId or a modelId");
        Validation.check(spec.deployment().effectiveTarget() != null, "job.bad_target",
                "spec.deployment.target must be " + DeploymentTarget.CHOICES);
        Validation.check(spec.effectiveBatchSize() >= 1 && spec.effectiveBatchSize() <= BatchMessage.MAX_BATCH_SIZE,
                "job.bad_batch_size", "spec.batchSize must be 1.." + BatchMessage.MAX_BATCH_SIZE);
        Validation.check(spec.gather() == null || spec.gather().maxConnectionsPerHost() == null
                        || spec.gather().maxConnectionsPerHost() >= 1
                        && spec.gather().maxConnectionsPerHost() <= JobSpec.Gather.MAX_CONNECTIONS_PER_HOST,
                "job.bad_gather", "spec.gather.maxConnectionsPerHost must be 1.."
                        + JobSpec.Gather.MAX_CONNECTIONS_PER_HOST);
        if (spec.errorBudget() != null) {
            spec.errorBudget().check();
        }
        if (spec.events() != null) {
            for (String type : spec.events()) {
                Validation.check(JobEvent.Type.named(type) != null, "job.bad_events", "spec.events takes "
                        + java.util.Arrays.stream(JobEvent.Type.values()).map(JobEvent.Type::wire).toList()
                        + "; got \"" + type + "\"");
            }
        }
        Validation.check(spec.startAtTime() == null || spec.stopAtTime() == null
                || spec.stopAtTime() > spec.startAtTime(), "job.bad_times", "stopAtTime must be after startAtTime");
        // a job without stopAtTime times out DEFAULT_CUTOFF after it is created: a start after that would never come
        Validation.check(spec.startAtTime() == null || spec.stopAtTime() != null
                        || spec.startAtTime() < clock.nowMillis() + JobSpec.DEFAULT_CUTOFF_MILLIS,
                "job.bad_times", "startAtTime is more than 24 h ahead: without a stopAtTime the job would time out"
                        + " before it starts; give a stopAtTime after startAtTime");
        if (spec.resultDelivery() != null && spec.resultDelivery().destinations() != null) {
            for (JobSpec.Destination d : spec.resultDelivery().destinations()) {
                Validation.check(d != null && "Webhook".equals(d.kind()) && d.webhookId() != null,
                        "job.bad_destination", "each destination must be {kind:\"Webhook\", webhookId}");
                webhooks.get(projectId, d.webhookId());
            }
        }
        Dataset dataset = datasets.get(projectId, spec.datasetId());
        if (dataset.status().overview() != Dataset.State.Ready) {
            throw SluiceException.conflict("dataset.not_ready", "dataset " + dataset.id() + " is "
                    + dataset.status().overview() + (dataset.status().reason() == null ? "" : " (" + dataset.status().reason() + ")")
                    + "; upload the file and wait until its status.overview is Ready");
        }
        Model model = models.get(projectId, spec.deployment().modelId());
        if (model.status().overview() == Model.State.Failed) {
            // refused for good (model.too_large, model.labels_mismatch): the model's own code, not "not ready yet"
            String reason = String.valueOf(model.status().reason());
            String code = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : "";
            throw SluiceException.invalid(dev.sluice.core.Validation.CODE.matcher(code).matches() ? code : "model.failed",
                    "model " + model.id() + " is Failed: " + reason);
        }
        if (model.status().overview() != Model.State.Ready) {
            throw SluiceException.conflict("model.not_ready", "model " + model.id() + " is "
                    + model.status().overview() + "; upload the ONNX file to its upload URL first");
        }
        Validation.check(model.task() != Model.Task.Tabular, "job.tabular_model", "model " + model.id() + " is a"
                + " Tabular model: it runs on files of rows in executions (POST /executions), not on datasets of images");
        long now = clock.nowMillis();
        JobSpec stored = new JobSpec(spec.datasetId(), spec.deployment(), spec.resultDelivery(), spec.startAtTime(),
                spec.stopAtTime(), spec.effectiveBatchSize(), spec.retryOf(), null, spec.events(), spec.errorBudget());
        Job job = new Job(Ids.newId(Ids.JOB, now), Job.OBJECT, request.name(), projectId, stored,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, dataset.status().itemCount(), now),
                now, now, metadata);
        jobs.create(job);
        queue.send(BatchQueue.Name.FANOUT, FanoutMessage.fanOut(job.id(), 0, 0).envelope().forProject(job.projectId()), 0);
        return job;
    }

    /** A deploymentId stands for its model, target and batch size; a spec's own batchSize wins. */
    private JobSpec resolveDeployment(String projectId, JobSpec spec) {
        if (spec.deployment() == null || spec.deployment().deploymentId() == null) {
            return spec;
        }
        dev.sluice.core.deployment.Deployment d = deployments.get(projectId, spec.deployment().deploymentId());
        return new JobSpec(spec.datasetId(), new JobSpec.Deployment(d.modelId(), d.target(), d.id()), spec.resultDelivery(),
                spec.startAtTime(), spec.stopAtTime(), spec.batchSize() != null ? spec.batchSize() : d.batchSize(),
                spec.retryOf(), spec.gather(), spec.events(), spec.errorBudget());
    }

    /** The project's job; 404 for another project's job or an id of another kind (checked before any read). */
    public Job get(String projectId, String id) {
        if (!Job.KIND.names(id)) {
            throw Job.KIND.notFound(id);
        }
        return jobs.get(id).filter(j -> j.projectId().equals(projectId) && Job.OBJECT.equals(j.object()))
                .orElseThrow(() -> Job.KIND.notFound(id));
    }

    /**
     * A page of the project's job's item log, oldest first: 404 for another project's job or an id of another kind,
     * then the query is checked ({@link LogQuery}: 400 with a stable code). The page's {@code nextPage} (null on the
     * last page) continues exactly where it stopped.
     */
    public JobStore.LogPage logs(String projectId, String id, LogQuery query) {
        Job job = get(projectId, id);
        LogQuery.Checked q = query.check();
        return jobs.logs(job.id(), q.afterTime(), q.beforeTime(), q.errorsOnly(), q.max(), q.page());
    }

    /**
     * Cancels a Waiting or Running job at once. Batches that workers receive from now on are skipped (they check the
     * job per batch), batches in hand finish, and the lines the fan-out has not sent yet are skipped.
     */
    public Job cancel(String projectId, String id) {
        Job job = get(projectId, id);
        if (!lifecycle.cancel(id, "job.cancelled: cancelled by the user")) {
            Job now = get(projectId, id);
            throw SluiceException.conflict("job.already_terminal", "job " + id + " is already "
                    + now.status().overview() + " and cannot be cancelled");
        }
        lifecycle.settle(id);
        return get(projectId, id);
    }

    /**
     * A new job over exactly the items of an ended job that were not delivered (failed at any stage, or skipped),
     * with the same model, webhook and batch size, linked to the original by spec.retryOf.
     */
    public Job retry(String projectId, String id) {
        Job original = get(projectId, id);
        if (!original.status().overview().isTerminal()) {
            throw SluiceException.conflict("job.not_terminal", "job " + id + " is " + original.status().overview()
                    + "; retry it once it has ended (cancel it first to stop it)");
        }
        boolean viaWebhook = original.spec().webhookId() != null;
        java.util.BitSet done = new java.util.BitSet();
        String cursor = null;
        do {
            JobStore.LogPage page = jobs.logs(id, -1, Long.MAX_VALUE / 2, false, 1000, cursor);
            for (LogEntry e : page.entries()) {
                if (e.index() != null && e.index() >= 0 && (viaWebhook ? "ItemDelivered" : "ItemPredicted").equals(e.kind())) {
                    done.set(e.index().intValue());
                }
            }
            cursor = page.nextPage();
        } while (cursor != null);
        java.util.BitSet again = new java.util.BitSet();
        again.set(0, (int) original.status().itemCount());
        again.andNot(done);
        if (again.isEmpty()) {
            throw SluiceException.conflict("job.nothing_to_retry", "every item of job " + id + " was delivered");
        }
        return rerun(original, again, "retry");
    }

    /**
     * A new job over the given lines of an earlier job's dataset, with its model, webhook and batch size, linked to
     * it by spec.retryOf: how a retry and a dead letter's redrive run items again. It keeps the original's metadata,
     * so a listing filtered by it finds the retries too.
     */
    public Job rerun(Job original, java.util.BitSet lines, String why) {
        Dataset subset = datasets.subset(original.projectId(), original.spec().datasetId(), lines, why + " of " + original.id());
        JobSpec s = original.spec();
        return create(original.projectId(), new CreateRequest(original.name() + " (" + why + ")", new JobSpec(subset.id(),
                s.deployment(), s.resultDelivery(), null, null, s.batchSize(), original.id(), s.gather(), s.events(),
                s.errorBudget()), original.metadata()));
    }

    /** Download links (valid one hour) to the job's manifest, result parts and errors file, once it completed. */
    public java.util.Map<String, Object> results(String projectId, String id) {
        Job job = get(projectId, id);
        if (!lifecycle.isComplete(id)) {
            throw SluiceException.conflict("job.not_complete", "job " + id + " is " + job.status().overview()
                    + "; its results are listed once every item is accounted for");
        }
        java.time.Duration ttl = java.time.Duration.ofHours(1);
        java.util.List<java.util.Map<String, String>> parts = jobs.resultParts(id).stream()
                .map(key -> java.util.Map.of("key", key, "url", objects.presignGet(key, ttl))).toList();
        return java.util.Map.of(
                "manifest", java.util.Map.of("key", JobCompletion.manifestKey(job), "url", objects.presignGet(JobCompletion.manifestKey(job), ttl)),
                "parts", parts,
                "errors", java.util.Map.of("key", JobCompletion.errorsKey(job), "url", objects.presignGet(JobCompletion.errorsKey(job), ttl)),
                "expiresAtTime", clock.nowMillis() + ttl.toMillis());
    }

    public Page<Job> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** A page of the project's jobs that the filter lists, newest first; the cursors are bound to the filter. */
    public Page<Job> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return jobs.list(projectId, page, filter);
    }
}
