package dev.sluice.execution;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.Deadline;
import dev.sluice.core.pipeline.Envelope;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.core.pipeline.ExecutionTasks;
import dev.sluice.core.port.SecretStore;
import dev.sluice.core.secret.SecretService;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Storage-based executions: start (validate, take the identical-execution guard, queue the listing), list the source
 * folder into tasks, settle each file once and chain the next task, end on timeouts, cancel, and report per file.
 *
 * <p>Parallelism is a chain per slot: the listing sends tasks 0 … parallelism-1, and settling file i sends file
 * i + parallelism. A redelivered task settles nothing twice (the file ledger) and sends its successor again, which
 * the ledger makes harmless; so at most parallelism files run at once, but for redeliveries.
 */
public final class ExecutionService implements ExecutionTasks {
    public static final int MAX_PARALLELISM = 1000;
    public static final int DEFAULT_PARALLELISM = 10;
    /** The inference function's memory size (MiB) the CDK app deploys by default: Lambda's one instance unless configured. */
    public static final String DEFAULT_LAMBDA_INSTANCE =
            Integer.toString(dev.sluice.core.usage.LambdaSizing.deployedDefault().size().memoryMb());
    public static final long MAX_TIMEOUT_SECONDS = 7L * 24 * 3600;
    /** The listing hands over to a continuation when less than this is left of its invocation. */
    public static final long LIST_RESERVE_MILLIS = 10_000;
    static final int LIST_PAGE = 1000;
    static final int REPORT_PAGE = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionService.class);

    private final ExecutionStore store;
    private final ModelService models;
    private final FolderStore folders;
    private final FileList files;
    private final BatchQueue queue;
    private final Clock clock;
    private final boolean allowLocal;
    private final SecretStore secrets;
    private final dev.sluice.core.AllowedBuckets buckets;
    private final dev.sluice.core.auth.ExecutionRoles roles;
    private final Compute.Offer offer;

    /**
     * @param buckets the buckets executions may reach with the functions' own role (never the data bucket); an
     *                execution naming stored credentials reaches what those credentials reach but the data bucket,
     *                which every list, read and write refuses whatever the credentials ({@link DataBucketGuard})
     */
    public ExecutionService(ExecutionStore store, ModelService models, FolderStore folders, FileList files,
                            BatchQueue queue, Clock clock, boolean allowLocal, SecretStore secrets,
                            dev.sluice.core.AllowedBuckets buckets) {
        this(store, models, folders, files, queue, clock, allowLocal, secrets, buckets, null);
    }

    /**
     * @param roles the projects' external ids for executions that name {@code iamRoleArn}; null: such executions are
     *              refused ({@code execution.role_not_assumable})
     */
    public ExecutionService(ExecutionStore store, ModelService models, FolderStore folders, FileList files,
                            BatchQueue queue, Clock clock, boolean allowLocal, SecretStore secrets,
                            dev.sluice.core.AllowedBuckets buckets, dev.sluice.core.auth.ExecutionRoles roles) {
        this(store, models, folders, files, queue, clock, allowLocal, secrets, buckets, roles,
                Compute.Offer.lambda(List.of(DEFAULT_LAMBDA_INSTANCE)));
    }

    /**
     * @param offer the compute this deployment has ({@code compute.target} and {@code compute.instance} are checked
     *              against it, with the pool queues {@code queue} has)
     */
    public ExecutionService(ExecutionStore store, ModelService models, FolderStore folders, FileList files,
                            BatchQueue queue, Clock clock, boolean allowLocal, SecretStore secrets,
                            dev.sluice.core.AllowedBuckets buckets, dev.sluice.core.auth.ExecutionRoles roles,
                            Compute.Offer offer) {
        this.roles = roles;
        this.offer = offer;
        this.secrets = secrets;
        this.buckets = buckets;
        this.store = store;
        this.models = models;
        this.folders = new DataBucketGuard(folders, buckets.dataBucket());
        this.files = files;
        this.queue = queue;
        this.clock = clock;
        this.allowLocal = allowLocal;
    }

    /** The model and, optionally, the build (the checksum of the model file) an execution runs. */
    public record ModelRef(String id, String build) {
    }

    public record StartRequest(ModelRef model, String bucket, String sourceBucket, String destinationBucket,
                               String sourceFolder, String destinationFolder, String inputFileType,
                               String outputFileType, Long jobTimeout, Long fileTimeout, Integer parallelism,
                               Map<String, String> parameters, String accessTokenName, String accessSecretName,
                               Map<String, String> metadata, String iamRoleArn, Long limitFiles,
                               Long maxFailedFiles, Double maxFailedRowRate, Compute.Request compute) {
        public StartRequest(ModelRef model, String bucket, String sourceBucket, String destinationBucket,
                            String sourceFolder, String destinationFolder, String inputFileType,
                            String outputFileType, Long jobTimeout, Long fileTimeout, Integer parallelism,
                            Map<String, String> parameters, String accessTokenName, String accessSecretName,
                            Map<String, String> metadata) {
            this(model, bucket, sourceBucket, destinationBucket, sourceFolder, destinationFolder, inputFileType,
                    outputFileType, jobTimeout, fileTimeout, parallelism, parameters, accessTokenName, accessSecretName,
                    metadata, null, null, null, null, null);
        }

        public StartRequest(ModelRef model, String bucket, String sourceBucket, String destinationBucket,
                            String sourceFolder, String destinationFolder, String inputFileType,
                            String outputFileType, Long jobTimeout, Long fileTimeout, Integer parallelism,
                            Map<String, String> parameters, String accessTokenName, String accessSecretName) {
            this(model, bucket, sourceBucket, destinationBucket, sourceFolder, destinationFolder, inputFileType,
                    outputFileType, jobTimeout, fileTimeout, parallelism, parameters, accessTokenName, accessSecretName,
                    null);
        }
    }

    /**
     * Starts an execution: checks the request ({@link #plan}), stores it Pending and queues its listing.
     *
     * @throws SluiceException 400/404/409 with the codes of {@link #plan}
     */
    public Execution start(String projectId, StartRequest r) {
        Execution execution = plan(projectId, r);
        store.create(execution);
        queue.send(BatchQueue.Name.FANOUT, List.of(ExecutionTask.list(projectId, execution.id(), null, 0).envelope().forProject(projectId)));
        return execution;
    }

    /**
     * What {@code POST /executions?dryRun=true} answers: everything a start checks was checked (the same 400/404/409
     * with the same codes: one {@link #plan} step), and the source folder was listed as the execution's listing would
     * list it (hidden and marker files skipped, only files of inputFileType, the first limitFiles), with nothing
     * written, sent or assumed beyond what the listing needs.
     *
     * @param spec            the execution as it would be stored (its id is not reserved)
     * @param fileCount       matching files (exact unless {@code listingTruncated})
     * @param bytes           their total size, bytes
     * @param files           the first {@value #DRY_RUN_LISTED} of them in listing order, with their sizes
     * @param hiddenFiles     hidden or marker files the listing skipped (as {@code status.hiddenFiles})
     * @param listingTruncated true when the folder holds more than {@value #DRY_RUN_PAGES} listing pages of names
     *                        (100,000) before limitFiles is reached: the counts stop there, a real execution's
     *                        listing goes on
     */
    public record DryRun(boolean dryRun, Execution.Spec spec, long fileCount, long bytes, List<ListedFile> files,
                         long hiddenFiles, boolean listingTruncated, long estimatedSeconds, double estimatedCostUsd,
                         ExecutionEstimate.Basis basis) {
    }

    /** A file a dry run lists: its name relative to sourceFolder and its size in bytes. */
    public record ListedFile(String name, long bytes) {
    }

    /** Files a dry run names in its answer. */
    public static final int DRY_RUN_LISTED = 1000;
    /** Listing pages (of {@value #LIST_PAGE} names) a dry run reads before it stops: an API request's time bound. */
    public static final int DRY_RUN_PAGES = 100;

    /**
     * Checks a start as {@link #start} does and lists the files it would run, writing and sending nothing.
     *
     * A folder with no matching file answers {@code fileCount} 0: the execution would end Failed
     * ({@code execution.no_files}).
     *
     * @throws SluiceException the start's 400/404/409, with the same codes; 400 {@code execution.folder_unreadable}
     *                         when S3 refuses the listing (no such bucket, access denied), the reason the execution
     *                         would end Failed with
     */
    public DryRun dryRun(String projectId, StartRequest r) {
        Execution e = plan(projectId, r);
        FolderStore source;
        try {
            source = folders(e);
        } catch (FileProblem p) {
            throw SluiceException.invalid(p.code, p.getMessage());
        }
        long limit = e.spec().limitFiles() == null ? Long.MAX_VALUE : e.spec().limitFiles();
        List<ListedFile> listed = new ArrayList<>();
        long count = 0;
        long bytes = 0;
        long hidden = 0;
        String cursor = null;
        int pages = 0;
        do {
            FolderStore.Listing page;
            try {
                page = source.list(e.spec().source(), cursor, LIST_PAGE);
            } catch (FileProblem p) {
                throw SluiceException.invalid(p.code, p.getMessage());
            }
            pages++;
            hidden += page.names().stream().filter(FileType::isHidden).count();
            for (int i = 0; i < page.names().size() && count < limit; i++) {
                String name = page.names().get(i);
                if (!FileType.isHidden(name) && e.spec().inputFileType().matches(name)) {
                    count++;
                    bytes += page.sizes().get(i);
                    if (listed.size() < DRY_RUN_LISTED) {
                        listed.add(new ListedFile(name, page.sizes().get(i)));
                    }
                }
            }
            cursor = count >= limit ? null : page.cursor();
        } while (cursor != null && pages < DRY_RUN_PAGES);
        boolean truncated = cursor != null;
        ExecutionEstimate estimate = ExecutionEstimate.fromBenchmark(e.spec().inputFileType(), count, bytes,
                e.spec().compute());
        return new DryRun(true, e.spec(), count, bytes, listed, hidden, truncated, estimate.estimatedSeconds(),
                estimate.estimatedCostUsd(), estimate.basis());
    }

    /**
     * Everything a start checks, in one place for the start and its dry run: the model (Ready, the build), the folders
     * and buckets, timeouts, parallelism, limitFiles and the error budget, the row mapping, the secrets or the role
     * (assumed now, as every task will). Looks things up; writes nothing.
     *
     * @return the execution a start would store (Pending, with a new id)
     */
    private Execution plan(String projectId, StartRequest r) {
        Validation.required(r, "execution.body_required", "send a JSON body {model: {id}, sourceFolder,"
                + " destinationFolder, …}");
        Validation.check(r.model() != null && r.model().id() != null, "execution.model_required",
                "model.id is required");
        Validation.id(r.model().id(), dev.sluice.core.Ids.MODEL, "execution.bad_model_id", "model.id");
        Model model = models.get(projectId, r.model().id());
        Validation.check(model.status().overview() == Model.State.Ready, "execution.model_not_ready",
                "model " + model.id() + " is " + model.status().overview() + "; upload its ONNX file first");
        if (r.model().build() != null && !r.model().build().equals(model.status().checksum())) {
            throw SluiceException.conflict("execution.build_not_found", "model " + model.id() + " has no build "
                    + r.model().build() + "; its current build is " + model.status().checksum());
        }
        Validation.check(r.bucket() == null || (r.sourceBucket() == null && r.destinationBucket() == null),
                "execution.bad_bucket", "give either bucket, or sourceBucket and destinationBucket");
        Validation.check(r.sourceFolder() != null && r.destinationFolder() != null, "execution.folder_required",
                "sourceFolder and destinationFolder are required");
        Folder source = Folder.of(r.bucket() != null ? r.bucket() : r.sourceBucket(), r.sourceFolder(),
                "sourceFolder", allowLocal);
        Folder destination = Folder.of(r.bucket() != null ? r.bucket() : r.destinationBucket(),
                r.destinationFolder(), "destinationFolder", allowLocal);
        long jobTimeout = seconds(r.jobTimeout(), "jobTimeout");
        long fileTimeout = seconds(r.fileTimeout(), "fileTimeout");
        Validation.check(r.parallelism() == null || r.parallelism() >= 1 && r.parallelism() <= MAX_PARALLELISM,
                "execution.bad_parallelism", "parallelism must be 1.." + MAX_PARALLELISM);
        Compute compute = Compute.of(r.compute(), r.parallelism(), offer, queue, DEFAULT_PARALLELISM, MAX_PARALLELISM);
        int parallelism = compute.tasks();
        Validation.check(r.limitFiles() == null || r.limitFiles() >= 1, "execution.bad_limit_files",
                "limitFiles must be at least 1 (the first N matching files in listing order), or absent for all");
        Validation.check(r.maxFailedFiles() == null || r.maxFailedFiles() >= 0, "execution.bad_error_budget",
                "maxFailedFiles must be at least 0 (the execution stops when more files than that failed)");
        Validation.check(r.maxFailedRowRate() == null || r.maxFailedRowRate() >= 0 && r.maxFailedRowRate() <= 1,
                "execution.bad_error_budget", "maxFailedRowRate must be in [0, 1] (failed rows / rows of the finished"
                        + " files above it stops the execution)");
        Map<String, String> parameters = r.parameters() == null ? Map.of() : Map.copyOf(r.parameters());
        RowMapping.validate(model, parameters);
        Validation.check(r.iamRoleArn() == null || r.accessTokenName() == null && r.accessSecretName() == null, "execution.bad_credentials",
                "give either iamRoleArn or accessTokenName and accessSecretName, not both");
        if (r.accessTokenName() != null || r.accessSecretName() != null) {
            Validation.check(r.accessTokenName() != null && r.accessSecretName() != null, "execution.bad_secret_name",
                    "give both accessTokenName and accessSecretName (the secrets holding an access key id and its"
                            + " secret access key), or neither");
            secretName(projectId, r.accessTokenName(), "accessTokenName");
            secretName(projectId, r.accessSecretName(), "accessSecretName");
        }
        boolean ownCredentials = r.accessTokenName() != null || r.iamRoleArn() != null;
        checkBucket(source, "sourceFolder", ownCredentials);
        checkBucket(destination, "destinationFolder", ownCredentials);
        if (!ownCredentials) {
            checkProjectFolder(source, "sourceFolder", projectId);
            checkProjectFolder(destination, "destinationFolder", projectId);
        }
        Map<String, String> metadata = dev.sluice.core.Metadata.check(r.metadata());
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.EXECUTION, now);
        Execution.Spec spec = new Execution.Spec(model.id(), model.status().checksum(), source, destination,
                FileType.parse(r.inputFileType(), "inputFileType"), FileType.parse(r.outputFileType(), "outputFileType"),
                jobTimeout, fileTimeout, parallelism, parameters, r.accessTokenName(), r.accessSecretName(),
                r.iamRoleArn(), r.limitFiles(), r.maxFailedFiles(), r.maxFailedRowRate(), compute);
        Execution execution = new Execution(id, Execution.OBJECT, projectId, spec,
                new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now, metadata);
        if (r.iamRoleArn() != null) {
            // assumed now, as every task will: a role that cannot be assumed is refused before anything is written
            try {
                folders(execution);
            } catch (FileProblem p) {
                throw SluiceException.invalid(p.code, p.getMessage());
            }
        }
        return execution;
    }

    /**
     * An S3 folder is never in the service's data bucket (it holds every project's datasets, models and results),
     * whatever the credentials; reached with the functions' own role it must be in a bucket the operator allows.
     */
    private void checkBucket(Folder folder, String field, boolean ownCredentials) {
        if (!folder.isLocal() && (folder.bucket().equals(buckets.dataBucket())
                || !ownCredentials && !buckets.allows(folder.bucket()))) {
            throw SluiceException.invalid("execution.bucket_refused", field + ": "
                    + DataBucketGuard.refusal(folder.bucket()));
        }
    }

    /** With the functions' role, a folder is never another project's folder of a shared bucket ({@link ProjectFolders}). */
    private static void checkProjectFolder(Folder folder, String field, String projectId) {
        try {
            ProjectFolders.check(folder, projectId);
        } catch (FileProblem p) {
            throw SluiceException.invalid(p.code, field + ": " + p.getMessage());
        }
    }

    private static long seconds(Long value, String field) {
        long v = value == null ? 0 : value;
        Validation.check(v >= 0 && v <= MAX_TIMEOUT_SECONDS, "execution.bad_timeout",
                field + " must be 0 (none) to " + MAX_TIMEOUT_SECONDS + " seconds");
        return v;
    }

    /**
     * Names of the project's stored secrets only (POST /secrets): a value that looks like an AWS key is refused, so it
     * is never stored in the execution; the name must exist in the calling project. Another project's name answers
     * exactly like a name that does not exist (the lookup never leaves the project's prefix).
     */
    private void secretName(String projectId, String name, String field) {
        Validation.check(!name.matches("(AKIA|ASIA)[A-Z0-9]{16}"),
                "execution.bad_secret_name", field + " must be the name of a stored secret, never its value");
        Validation.check(SecretService.validName(name), "execution.bad_secret_name", field + " must be the name of"
                + " one of this project's secrets (1-128 letters, digits, _ and -; create it with POST secrets)");
        Validation.check(secrets.read(projectId, name).isPresent(), "execution.secret_not_found", field + ": this"
                + " project has no secret named " + name + "; create it with POST secrets");
    }

    /**
     * The execution's folders, reached with the access key its secrets hold when it names them (read when a task
     * runs, so a rotated key is used from then on), with the functions' own role otherwise.
     */
    FolderStore folders(Execution e) {
        String tokenName = e.spec().accessTokenName();
        // checked at start too; again here whatever the credentials, so the data bucket and a bucket the operator no
        // longer allows are not reached by an execution stored before a check existed (and the guard checks each call)
        for (Folder f : List.of(e.spec().source(), e.spec().destination())) {
            DataBucketGuard.check(f, buckets.dataBucket());
            if (tokenName == null && e.spec().iamRoleArn() == null && !f.isLocal() && !buckets.allows(f.bucket())) {
                throw new FileProblem("execution.bucket_refused", DataBucketGuard.refusal(f.bucket()));
            }
        }
        if (e.spec().iamRoleArn() != null) {
            if (roles == null) {
                throw new FileProblem("execution.role_not_assumable", "this deployment assumes no roles for executions");
            }
            return folders.withRole(RoleSession.of(e.spec().iamRoleArn(), roles.externalId(e.projectId()), e.id(),
                    e.spec().source(), e.spec().destination()));
        }
        if (tokenName == null) {
            for (Folder f : List.of(e.spec().source(), e.spec().destination())) {
                ProjectFolders.check(f, e.projectId());
            }
            return new ProjectFolders(folders, e.projectId());
        }
        String key = secrets.read(e.projectId(), tokenName).orElseThrow(() -> new FileProblem(
                "execution.secret_not_found", "the project's secret " + tokenName + " (accessTokenName) no longer exists"));
        String secret = secrets.read(e.projectId(), e.spec().accessSecretName()).orElseThrow(() -> new FileProblem(
                "execution.secret_not_found", "the project's secret " + e.spec().accessSecretName()
                + " (accessSecretName) no longer exists"));
        return folders.withCredentials(key.strip(), secret.strip());
    }

    /**
     * What the project's role needs to trust for executions that name {@code iamRoleArn} ({@code GET
     * /execution-role}): the project's external id and the principals that assume the role.
     *
     * @throws SluiceException 404 {@code execution_role.not_found} where this deployment assumes no roles
     */
    public dev.sluice.core.auth.ExecutionRoles.View executionRole(String projectId) {
        if (roles == null) {
            throw new SluiceException(SluiceException.Kind.NOT_FOUND, "execution_role.not_found",
                    "this deployment assumes no roles for executions");
        }
        return roles.view(projectId);
    }

    /** The project's execution; 404 for another project's or an id of another kind (checked before any read). */
    public Execution get(String projectId, String id) {
        if (!Execution.KIND.names(id)) {
            throw Execution.KIND.notFound(id);
        }
        return store.get(projectId, id).filter(e -> Execution.OBJECT.equals(e.object()))
                .orElseThrow(() -> Execution.KIND.notFound(id));
    }

    public Page<Execution> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** A page of the project's executions that the filter lists, newest first; the cursors are bound to the filter. */
    public Page<Execution> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return store.list(projectId, page, filter);
    }

    public Execution cancel(String projectId, String id) {
        Execution e = get(projectId, id);
        if (!store.transition(projectId, id, Execution.State.ACTIVE, Execution.State.Cancelled,
                "execution.cancelled: cancelled by request; files not finished are skipped", clock.nowMillis())) {
            Execution now = get(projectId, id);
            if (now.status().overview().isTerminal()) {
                throw SluiceException.conflict("execution.already_ended", "execution " + id + " already ended "
                        + now.status().overview());
            }
        }
        return get(projectId, e.id());
    }

    /**
     * The files fromIndex onwards (page: a cursor from a previous report), each with its status: settled files as
     * settled, the rest Pending while the execution runs and Skipped once it ended.
     */
    public Execution.Report report(String projectId, String id, String page) {
        Execution e = get(projectId, id);
        String listing = "report:" + id;
        long from = 0;
        Long total = e.status().totalFiles();
        if (page != null && !page.isEmpty()) {
            // the listing cursor format, bound to this execution's report, anchored at the index of the page's first
            // file: digits only, within the file list (a crafted n:-9223372036854775808 overflowed from + REPORT_PAGE)
            PageRequest cursor = PageRequest.of(null, page);
            String anchor = cursor.forward() ? cursor.anchorIn(listing, "") : null;
            if (anchor == null || !anchor.matches("\\d{1,12}") || total == null || Long.parseLong(anchor) > total) {
                throw PageRequest.badCursor();
            }
            from = Long.parseLong(anchor);
        }
        if (total == null) {
            return new Execution.Report(e, List.of(), null);
        }
        long to = Math.min(total, from + REPORT_PAGE);
        List<String> names = from >= to ? List.of() : files.names(projectId, id, from, to);
        Map<Long, Execution.FileReport> settled = new HashMap<>();
        store.settledFiles(id, from, to).forEach(f -> settled.put(f.index(), f));
        List<Execution.FileReport> out = new ArrayList<>();
        Execution.FileState unsettled = e.status().overview().isTerminal() ? Execution.FileState.Skipped
                : Execution.FileState.Pending;
        for (int i = 0; i < names.size(); i++) {
            long index = from + i;
            Execution.FileReport f = settled.get(index);
            out.add(f != null && f.status() != Execution.FileState.Skipped ? f
                    : new Execution.FileReport(index, names.get(i), null, unsettled, null, null,
                    f != null ? f.startTime() : null, f != null ? f.timeMs() : null, f != null ? f.reason() : null));
        }
        String next = to < total ? PageRequest.nextCursor(listing, Long.toString(to)) : null;
        return new Execution.Report(e, out, next);
    }

    /**
     * The fan-out step: lists the source folder from the task's cursor into the file list, continuing in a new
     * message when the invocation runs short of time; once listed, the execution runs and the first tasks are sent.
     */
    public void listFiles(ExecutionTask task, Deadline deadline) {
        Execution e = store.get(task.projectId(), task.execution()).orElse(null);
        if (e == null || e.status().overview().isTerminal()) {
            return;
        }
        String cursor = task.cursor();
        long listed = task.listed() == null ? 0 : task.listed();
        long hidden = task.hidden() == null ? 0 : task.hidden();
        FileType type = e.spec().inputFileType();
        FolderStore source;
        try {
            source = folders(e);
        } catch (FileProblem p) {
            fail(e, p.code + ": " + p.getMessage());
            return;
        }
        do {
            FolderStore.Listing page;
            try {
                page = source.list(e.spec().source(), cursor, LIST_PAGE);
            } catch (FileProblem p) {
                fail(e, p.code + ": " + p.getMessage());
                return;
            }
            List<String> matching = page.names().stream().filter(n -> !FileType.isHidden(n)).filter(type::matches)
                    .limit(e.spec().limitFiles() == null ? Long.MAX_VALUE : e.spec().limitFiles() - listed).toList();
            hidden += page.names().stream().filter(FileType::isHidden).count();
            if (!matching.isEmpty()) {
                files.writeChunk(e.projectId(), e.id(), listed, matching);
            }
            listed += matching.size();
            cursor = e.spec().limitFiles() != null && listed >= e.spec().limitFiles() ? null : page.cursor();
            if (cursor != null && deadline.remainingMillis() < LIST_RESERVE_MILLIS) {
                // a chunk is named by its first index: the continuation writes the next one
                queue.send(BatchQueue.Name.FANOUT, List.of(
                        ExecutionTask.list(e.projectId(), e.id(), cursor, listed, hidden).envelope().forProject(e.projectId())));
                return;
            }
        } while (cursor != null);
        files.complete(e.projectId(), e.id());
        long now = clock.nowMillis();
        if (listed == 0) {
            store.transition(e.projectId(), e.id(), EnumSet.of(Execution.State.Pending), Execution.State.Failed,
                    "execution.no_files: " + e.spec().source().uri() + " holds no " + type + " files"
                            + (hidden > 0 ? " (" + hidden + " hidden or marker files skipped)" : ""), now);
            return;
        }
        long slots = Math.min(listed, e.spec().parallelism());
        if (!store.startRunning(e.projectId(), e.id(), listed, hidden, now)) {
            // a redelivered listing: the first attempt started the execution; its first tasks are sent again only
            // if none of them settled (that attempt may have died before sending them)
            Execution current = store.get(e.projectId(), e.id()).orElse(null);
            if (current == null || current.status().overview() != Execution.State.Running
                    || !store.settledFiles(e.id(), 0, slots).isEmpty()) {
                return;
            }
        }
        List<String> first = files.names(e.projectId(), e.id(), 0, slots);
        List<Envelope> tasks = new ArrayList<>();
        for (int i = 0; i < first.size(); i++) {
            tasks.add(ExecutionTask.file(e.projectId(), e.id(), i, first.get(i)).envelope().forProject(e.projectId()));
        }
        queue.send(e.spec().compute().queue(), tasks);
    }

    /**
     * Settles a file once (report null: it was settled before) and keeps the execution moving: the next task of this slot is sent (again, when the file
     * had been settled before), and the execution finishes when every file is settled.
     */
    public void settle(Execution e, ExecutionTask task, Execution.FileReport report) {
        if (report != null && !store.settleFile(e.projectId(), e.id(), report, clock.nowMillis())) {
            LOG.debug("file {} of {} was settled before", task.index(), e.id());
        }
        Execution current = store.get(e.projectId(), e.id()).orElse(e);
        String exceeded = current.status().overview() == Execution.State.Running
                ? e.spec().budgetExceeded(current.status()) : null;
        if (exceeded != null) {
            // the chain stops here: files not sent are never sent, and count as skipped once it ended
            store.transition(e.projectId(), e.id(), Execution.State.ACTIVE, Execution.State.Failed, exceeded,
                    clock.nowMillis());
            return;
        }
        if (current.status().overview() == Execution.State.Running) {
            long next = task.index() + e.spec().parallelism();
            Long total = current.status().totalFiles();
            if (total != null && next < total) {
                List<String> name = files.names(e.projectId(), e.id(), next, next + 1);
                queue.send(e.spec().compute().queue(), List.of(
                        ExecutionTask.file(e.projectId(), e.id(), next, name.get(0)).envelope().forProject(e.projectId())));
            }
            store.finishIfComplete(e.projectId(), e.id(), clock.nowMillis());
        }
    }

    /** A file whose failure fails the whole execution (over fileTimeout): the file is counted failed, then the execution ends. */
    public void failWith(Execution e, Execution.FileReport file) {
        store.settleFile(e.projectId(), e.id(), file, clock.nowMillis());
        fail(e, file.reason());
    }

    /** Ends the execution Failed with a reason. */
    public boolean fail(Execution e, String reason) {
        return store.transition(e.projectId(), e.id(), Execution.State.ACTIVE, Execution.State.Failed, reason,
                clock.nowMillis());
    }

    /** The reason an active execution must end now (jobTimeout passed since it was created, listing included), or null. */
    public String timedOut(Execution e, long now) {
        if (e.spec().jobTimeout() > 0 && now - e.createTime() > e.spec().jobTimeout() * 1000) {
            return "execution.timed_out: the execution ran longer than jobTimeout (" + e.spec().jobTimeout()
                    + " s); files not finished are skipped";
        }
        return null;
    }

    /** The sweep: ends executions past their jobTimeout, finishes complete ones; returns how many it ended. */
    @Override
    public int sweep() {
        int ended = 0;
        for (Execution e : store.active()) {
            long now = clock.nowMillis();
            String reason = timedOut(e, now);
            if (reason != null && store.transition(e.projectId(), e.id(), Execution.State.ACTIVE,
                    Execution.State.TimedOut, reason, now)) {
                ended++;
            } else if (e.status().overview() == Execution.State.Running && store.finishIfComplete(e.projectId(), e.id(), now)) {
                ended++;
            }
        }
        return ended;
    }

    /** A file task that failed on every attempt (dead-lettered): its file fails, and the execution moves on. */
    @Override
    public void abandon(ExecutionTask task, String reason) {
        Execution e = store.get(task.projectId(), task.execution()).orElse(null);
        if (e == null) {
            return;
        }
        if (ExecutionTask.LIST.equals(task.step())) {
            fail(e, "execution.listing_failed: listing " + e.spec().source().uri() + " failed on every attempt: " + reason);
            return;
        }
        settle(e, task, new Execution.FileReport(task.index(), task.file(), null, Execution.FileState.Failed, null,
                null, null, null, reason));
    }
}
