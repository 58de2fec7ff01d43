package dev.sluice.core.job;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.dataset.DatasetScan;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.deployment.DeploymentTarget;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.webhook.WebhookService;

/** Creating, reading and listing jobs. A created job is Waiting; the fan-out moves it to Running. */
public final class JobService {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JobService.class);
    private final JobStore jobs;
    private final DatasetService datasets;
    private final ModelService models;
    private final WebhookService webhooks;
    private final BatchQueue queue;
    private final Clock clock;
    private final JobLifecycle lifecycle;
    private final dev.sluice.core.deployment.DeploymentService deployments;
    private final dev.sluice.core.port.ObjectStore objects;
    private final DatasetScan scan;
    /** The buckets an S3 destination may name (the operator's execution buckets). */
    private final dev.sluice.core.AllowedBuckets destinationBuckets;
    private final JobItems items;

    public JobService(JobStore jobs, DatasetService datasets, ModelService models, WebhookService webhooks,
                      BatchQueue queue, Clock clock, JobLifecycle lifecycle, dev.sluice.core.port.ObjectStore objects,
                      dev.sluice.core.deployment.DeploymentService deployments, DatasetScan scan,
                      dev.sluice.core.AllowedBuckets destinationBuckets) {
        this.destinationBuckets = destinationBuckets;
        this.scan = scan;
        this.deployments = deployments;
        this.objects = objects;
        this.items = new JobItems(jobs, objects);
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

    /** What a create checked and resolved: the spec with its deployment resolved, its Ready dataset and model. */
    private record Plan(String name, JobSpec spec, Dataset dataset, Model model, java.util.Map<String, String> metadata) {
    }

    /**
     * What {@code POST /batch/jobs?dryRun=true} answers: everything a create checks was checked (the same 400/404/409
     * with the same codes), nothing was written or sent. Counts are exact; lists hold the first
     * {@value DatasetScan#MAX_LISTED}. Lines are numbered from 0, as log entries' {@code index}.
     */
    public record DryRun(boolean dryRun, JobSpec spec, long lineCount, long itemCount, long invalidLineCount,
                         java.util.List<DatasetScan.InvalidLine> invalidLines, long refusedUrlCount,
                         java.util.List<DatasetScan.RefusedUrl> refusedUrls, java.util.List<DatasetScan.Host> hosts,
                         boolean hostsTruncated, int hostsChecked, long estimatedSeconds, double estimatedCostUsd,
                         JobEstimate.Basis basis) {
    }

    /**
     * Creates a Waiting job and queues its fan-out. With {@code spec.limit} the job runs a dataset made of the first
     * {@code limit} valid lines of the given one (400 {@code job.no_valid_lines} when it has none).
     */
    public Job create(String projectId, CreateRequest request) {
        return create(projectId, request, null);
    }

    /** The same, with the job's id chosen beforehand (a retry is linked to its original before it is created). */
    private Job create(String projectId, CreateRequest request, String id) {
        Plan plan = plan(projectId, request);
        JobSpec spec = plan.spec();
        Dataset dataset = plan.dataset();
        String jobId = id != null ? id : Ids.newId(Ids.JOB, clock.nowMillis());
        if (spec.limit() != null) {
            java.util.BitSet sample = sample(dataset, spec.limit());
            dataset = datasets.subset(projectId, dataset.id(), sample, "first " + sample.cardinality()
                    + " valid lines of " + dataset.id(), jobId);
        }
        long now = clock.nowMillis();
        JobSpec stored = new JobSpec(dataset.id(), spec.deployment(), spec.resultDelivery(), spec.startAtTime(),
                spec.stopAtTime(), spec.effectiveBatchSize(), spec.retryOf(), spec.gather(), spec.events(),
                spec.errorBudget(), spec.limit());
        // the job holds the dataset before it exists: a delete or an expiry that comes first refuses it here
        datasets.reserve(projectId, dataset.id(), jobId, this::holdsDataset);
        Job job = new Job(jobId, Job.OBJECT, plan.name(), projectId, stored,
                new Job.Status(JobState.Waiting, "Waiting", null, ItemCounters.ZERO, dataset.status().itemCount(), now),
                now, now, plan.metadata());
        jobs.create(job);
        queue.send(BatchQueue.Name.FANOUT, FanoutMessage.fanOut(job.id(), 0, 0).envelope().forProject(job.projectId()), 0);
        try (var ids = LogScope.of(LogKey.PROJECT_ID, projectId).and(LogKey.JOB_ID, job.id())) {
            LOG.info("job created: {} items of dataset {}", job.status().itemCount(), stored.datasetId());
        }
        return job;
    }

    /**
     * Checks a create as {@link #create} does and reads the dataset as the fan-out would (streamed; with
     * {@code spec.limit}, up to the limit-th valid line), writing, sending and POSTing nothing.
     */
    public DryRun dryRun(String projectId, CreateRequest request) {
        Plan plan = plan(projectId, request);
        DatasetScan.Summary s;
        try {
            s = scan.summarise(plan.dataset(), plan.spec().limit());
        } catch (dev.sluice.core.port.ObjectStore.ObjectChangedException e) {
            throw SluiceException.conflict("dataset.changed", "the file of dataset " + plan.dataset().id()
                    + " changed after it was validated; create a new dataset");
        }
        String deploymentId = plan.spec().deployment().deploymentId();
        Integer workers = deploymentId == null ? null : deployments.get(projectId, deploymentId).maxConcurrency();
        java.util.Optional<Throughput> measured = lifecycle.history().of(projectId, Throughput.subjectOf(plan.spec()));
        JobEstimate estimate = measured.isPresent() ? JobEstimate.fromHistory(s.itemCount(), workers, measured.get())
                : JobEstimate.fromBenchmark(s.itemCount(), workers);
        return new DryRun(true, plan.spec(), s.lines(), s.itemCount(), s.invalidLineCount(), s.invalidLines(),
                s.refusedUrlCount(), s.refusedUrls(), s.hosts(), s.hostsTruncated(), s.hostsChecked(),
                estimate.estimatedSeconds(), estimate.estimatedCostUsd(), estimate.basis());
    }

    private java.util.BitSet sample(Dataset dataset, int limit) {
        java.util.BitSet lines;
        try {
            lines = scan.firstValid(dataset, limit);
        } catch (dev.sluice.core.port.ObjectStore.ObjectChangedException e) {
            throw SluiceException.conflict("dataset.changed", "the file of dataset " + dataset.id()
                    + " changed after it was validated; create a new dataset");
        }
        Validation.check(!lines.isEmpty(), "job.no_valid_lines", "dataset " + dataset.id()
                + " has no valid line to sample; a dry run (?dryRun=true) lists why each line is refused");
        return lines;
    }

    private Plan plan(String projectId, CreateRequest request) {
        Validation.required(request, "job.body_required", "send a JSON body {name, spec:{datasetId, deployment, resultDelivery}}");
        Validation.name(request.name(), "job");
        JobSpec given = Validation.required(request.spec(), "job.spec_required", "job needs a spec");
        java.util.Map<String, String> metadata = dev.sluice.core.Metadata.check(request.metadata());
        // ids and times are checked before anything is looked up with them (a 5,000-character id is a 400 here,
        // not a key DynamoDB refuses later)
        Validation.id(given.datasetId(), Ids.DATASET, "job.bad_dataset_id", "spec.datasetId");
        Validation.id(given.retryOf(), Ids.JOB, "job.bad_retry_of", "spec.retryOf");
        if (given.retryOf() != null) {
            // a job of this project only (404 for another project's job, as for one that does not exist): a job must
            // not name another project's job as its original
            get(projectId, given.retryOf());
        }
        if (given.deployment() != null) {
            Validation.id(given.deployment().modelId(), Ids.MODEL, "job.bad_model_id", "spec.deployment.modelId");
            Validation.id(given.deployment().deploymentId(), dev.sluice.core.deployment.DeploymentService.PREFIX,
                    "job.bad_deployment_id", "spec.deployment.deploymentId");
        }
        Validation.check(given.limit() == null || given.limit() >= 1 && given.limit() <= JobSpec.MAX_LIMIT,
                "job.bad_limit", "spec.limit must be 1.." + JobSpec.MAX_LIMIT + " (the first valid lines a sample runs)");
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
        dev.sluice.core.destination.Destinations.check(spec.destinations(), destinationBuckets,
                webhookId -> webhooks.get(projectId, webhookId));
        Dataset dataset = datasets.get(projectId, spec.datasetId());
        if (dataset.expiredAt(clock.nowMillis())) {
            // swept (Expired, its file gone) or due: the same code as DatasetService.reserve, never "upload the file"
            // (its upload URL was single-use; README "Limits", dataset expiry)
            throw SluiceException.conflict("dataset.expired", "dataset " + dataset.id() + " expired"
                    + (dataset.expiryTime() == null ? "" : " at " + java.time.Instant.ofEpochMilli(dataset.expiryTime()))
                    + " and its file is deleted; upload the file as a new dataset");
        }
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
        return new Plan(request.name(), spec, dataset, model, metadata);
    }

    /** A deploymentId stands for its model, target and batch size; a spec's own batchSize wins. */
    private JobSpec resolveDeployment(String projectId, JobSpec spec) {
        if (spec.deployment() == null || spec.deployment().deploymentId() == null) {
            return spec;
        }
        dev.sluice.core.deployment.Deployment d = deployments.get(projectId, spec.deployment().deploymentId());
        return new JobSpec(spec.datasetId(), new JobSpec.Deployment(d.modelId(), d.target(), d.id()), spec.resultDelivery(),
                spec.startAtTime(), spec.stopAtTime(), spec.batchSize() != null ? spec.batchSize() : d.batchSize(),
                spec.retryOf(), spec.gather(), spec.events(), spec.errorBudget(), spec.limit());
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
     * A page of the project's job's committed item outcomes in commit order ({@link JobItems}): 404 for another
     * project's job or an id of another kind, then the query is checked ({@link JobItems.Query}: 400 with a stable
     * code; a cursor of another job or project is 400 {@code request.bad_cursor}).
     */
    public JobItems.Page items(String projectId, String id, java.util.Map<String, String> query) {
        Job job = get(projectId, id);
        return items.page(job, JobItems.Query.of(query));
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

    /** Which lines of an ended job {@code :retry} runs again. */
    public enum RetryScope {
        /** every line that was not delivered (failed at any stage, or skipped): the default */
        @com.fasterxml.jackson.annotation.JsonProperty("all-failed") ALL_FAILED("all-failed"),
        /** the lines not delivered except those whose last failure is {@link FailureClass#Permanent} */
        @com.fasterxml.jackson.annotation.JsonProperty("retryable") RETRYABLE("retryable");

        private final String wire;

        RetryScope(String wire) {
            this.wire = wire;
        }

        @Override
        public String toString() {
            return wire;
        }
    }

    /**
     * Deletes an ended job of the project and everything it left (issue 24 item 6): its result parts, manifest, errors
     * file and kept delivery payloads (every object under {@link dev.sluice.core.ObjectKeys#results}, a listing page at
     * a time), its log entries and ledger rows, then the job. The job goes last, so a delete cut short is finished by
     * sending it again.
     *
     * @throws SluiceException 404 {@code job.not_found} (another project's job answers so too), 409 {@code job.running}
     *                         while it is Waiting or Running (cancel it first)
     */
    public void delete(String projectId, String id) {
        Job job = get(projectId, id);
        if (!job.status().overview().isTerminal()) {
            throw SluiceException.conflict("job.running", "job " + id + " is " + job.status().overview()
                    + "; cancel it (POST …:cancel) and delete it once it has ended");
        }
        deleteCopiedDataset(job);
        objects.deletePrefix(dev.sluice.core.ObjectKeys.results(projectId, id));
        jobs.delete(id);
    }

    /**
     * The dataset a sample run or a retry copied for the job goes with it: the user never created it. A copy another
     * job of the project was since created on (the user chose it) and still reads stays, until its expiryTime.
     */
    private void deleteCopiedDataset(Job job) {
        String datasetId = job.spec().datasetId();
        Dataset dataset;
        try {
            dataset = datasets.get(job.projectId(), datasetId);
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return; // deleted already (a delete of the job that stopped after it)
            }
            throw e;
        }
        if (dataset.source() == null || !dataset.source().isCopyFor(job.id())) {
            return;
        }
        try {
            datasets.delete(job.projectId(), datasetId, this::holdsDataset);
        } catch (SluiceException e) {
            if (e.kind() != SluiceException.Kind.CONFLICT) {
                throw e;
            }
            LOG.info("dataset {} copied for job {} is kept: {}", datasetId, job.id(), e.getMessage());
        }
    }

    /** What uses a model of the project: a deployment bound to it, else a job that has not ended and runs it. */
    public java.util.Optional<String> modelUser(String projectId, String modelId) {
        java.util.Optional<String> deployment = deployments.firstUsing(projectId, modelId).map(d -> "deployment " + d.id());
        return deployment.isPresent() ? deployment : activeJobOf(projectId,
                j -> j.spec().deployment() != null && modelId.equals(j.spec().deployment().modelId()));
    }

    /** What uses a webhook of the project: a job that has not ended and delivers to it. */
    public java.util.Optional<String> webhookUser(String projectId, String webhookId) {
        return activeJobOf(projectId, j -> j.spec().destinations().stream()
                .anyMatch(d -> d instanceof dev.sluice.core.destination.Destination.Webhook w
                        && webhookId.equals(w.webhookId())));
    }

    private java.util.Optional<String> activeJobOf(String projectId, java.util.function.Predicate<Job> uses) {
        return jobs.activeJobs().stream().filter(j -> !j.status().overview().isTerminal()
                        && j.projectId().equals(projectId) && uses.test(j))
                .map(j -> "job " + j.id()).findFirst();
    }

    /**
     * Whether a job recorded as a dataset's reader still holds it ({@link DatasetService.Holders}): it has not ended,
     * or it was reserved less than {@link DatasetService#CREATE_GRACE} ago and is not written yet.
     */
    public boolean holdsDataset(Dataset.Reader reader, long now) {
        return holders(jobs).holds(reader, now);
    }

    /** {@link #holdsDataset} over a job store (the scheduler's expiry sweep has no JobService). */
    public static DatasetService.Holders holders(JobStore jobs) {
        return (reader, now) -> jobs.get(reader.jobId()).map(j -> !j.status().overview().isTerminal())
                .orElse(now - reader.since() < DatasetService.CREATE_GRACE.toMillis());
    }

    /**
     * What a retry changes from the original job; each field left out keeps the original's. {@code resultDelivery}
     * with no destinations sends results to the result files only.
     */
    public record RetryOverrides(JobSpec.Deployment deployment, Integer batchSize, JobSpec.ResultDelivery resultDelivery,
                                 JobSpec.Gather gather) {
    }

    /** The body of {@code :retry}, optional: {@code {"only": "retryable" | "all-failed", "spec": {overrides}}}. */
    public record RetryRequest(RetryScope only, RetryOverrides spec) {
    }

    /**
     * A new job over the lines of an ended job that the request's scope names, with the original's model, webhook
     * and batch size unless overridden (checked as a create is), linked to the original by spec.retryOf and listed in
     * its {@code retries}. The original is read once, here: 404 for another project's job before the body is read
     * (whatever the body), then 409 {@code job.not_terminal} while it runs; 409 {@code job.nothing_to_retry} when no
     * line is in scope; 409 {@code job.too_many_retries} past {@link Job#MAX_RETRIES}.
     *
     * @param body the request's optional body, read once the job is known to be the project's (a 400 for a bad body
     *             of another project's job would tell that the job exists)
     */
    public Job retry(String projectId, String id, java.util.function.Supplier<RetryRequest> body) {
        Job original = get(projectId, id);
        RetryRequest request = body.get();
        RetryScope only = request == null || request.only() == null ? RetryScope.ALL_FAILED : request.only();
        if (!original.status().overview().isTerminal()) {
            throw SluiceException.conflict("job.not_terminal", "job " + id + " is " + original.status().overview()
                    + "; retry it once it has ended (cancel it first to stop it)");
        }
        boolean viaWebhook = original.spec().webhookId() != null;
        java.util.BitSet done = new java.util.BitSet();
        java.util.BitSet permanent = new java.util.BitSet();
        String cursor = null;
        do {
            JobStore.LogPage page = jobs.logs(id, -1, Long.MAX_VALUE / 2, false, 1000, cursor);
            for (LogEntry e : page.entries()) {
                if (e.index() == null || e.index() < 0) {
                    continue;
                }
                int line = e.index().intValue();
                if ((viaWebhook ? "ItemDelivered" : "ItemPredicted").equals(e.kind())) {
                    done.set(line);
                } else if (e.failureClass() != null) {
                    // entries are oldest first: a line's last failure decides its class
                    permanent.set(line, e.failureClass() == FailureClass.Permanent);
                }
            }
            cursor = page.nextPage();
        } while (cursor != null);
        java.util.BitSet again = new java.util.BitSet();
        again.set(0, (int) original.status().itemCount());
        again.andNot(done);
        if (only == RetryScope.RETRYABLE) {
            again.andNot(permanent);
        }
        if (again.isEmpty()) {
            throw SluiceException.conflict("job.nothing_to_retry", only == RetryScope.RETRYABLE
                    ? "no item of job " + id + " failed for a retryable reason (its failures are permanent: "
                    + "retry with {\"only\": \"all-failed\"} to run them anyway)"
                    : "every item of job " + id + " was delivered");
        }
        return rerun(original, again, "retry", request == null ? null : request.spec());
    }

    /**
     * A new job over the given lines of an earlier job's dataset, with its model, webhook and batch size, linked to
     * it by spec.retryOf: how a retry and a dead letter's redrive run items again. It keeps the original's metadata,
     * so a listing filtered by it finds the retries too.
     */
    public Job rerun(Job original, java.util.BitSet lines, String why) {
        return rerun(original, lines, why, null);
    }

    private Job rerun(Job original, java.util.BitSet lines, String why, RetryOverrides overrides) {
        JobSpec s = original.spec();
        RetryOverrides o = overrides == null ? new RetryOverrides(null, null, null, null) : overrides;
        JobSpec.Deployment deployment = o.deployment() != null ? o.deployment() : s.deployment();
        // a new deploymentId brings its own batch size unless the retry names one
        Integer batchSize = o.batchSize() != null ? o.batchSize() : o.deployment() != null ? null : s.batchSize();
        JobSpec spec = new JobSpec(original.spec().datasetId(), deployment,
                o.resultDelivery() != null ? o.resultDelivery() : s.resultDelivery(), null, null, batchSize,
                original.id(), o.gather() != null ? o.gather() : s.gather(), s.events(), s.errorBudget());
        CreateRequest request = new CreateRequest(original.name() + " (" + why + ")", spec, original.metadata());
        plan(original.projectId(), request); // the overrides are checked before the subset is written
        String retryId = Ids.newId(Ids.JOB, clock.nowMillis());
        // linked first, in one conditional write: the bound holds however many retries race
        if (!jobs.addRetry(original.id(), retryId)) {
            throw SluiceException.conflict("job.too_many_retries", "job " + original.id() + " has "
                    + Job.MAX_RETRIES + " retries already; retry its latest retry instead");
        }
        Dataset subset = datasets.subset(original.projectId(), original.spec().datasetId(), lines, why + " of " + original.id(),
                retryId);
        objects.put(dev.sluice.core.ObjectKeys.retryLines(original.projectId(), retryId), lines.toByteArray(),
                "application/octet-stream");
        return create(original.projectId(), new CreateRequest(request.name(), new JobSpec(subset.id(), spec.deployment(),
                spec.resultDelivery(), null, null, spec.batchSize(), original.id(), spec.gather(), spec.events(),
                spec.errorBudget()), original.metadata()), retryId);
    }

    /**
     * A page of the job's lines with each one's final outcome across the job and its retries ({@link JobLineage}):
     * 404 for another project's job; 400 {@code request.bad_limit}, {@code request.bad_cursor}.
     */
    public JobLineage.LinePage lineage(String projectId, String id, String limit, String page) {
        return new JobLineage(jobs, objects).page(get(projectId, id), limit, page);
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
