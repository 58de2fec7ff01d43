package dev.sluice.execution;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.inference.ItemFetcher;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.inference.TabularPredictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.ExecutionTask;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file task on a worker: stream the file's rows in chunks, run the model over each chunk in batches, write each
 * chunk's output rows as they come to one output file with the same base name in the destination folder, and settle
 * the file once. Memory is bounded by design, not by the file: the reader holds one piece at a time (a Parquet row
 * group, an Arrow record batch, a CSV/NDJSON record: {@link RowBudget}), a chunk holds at most {@link #CHUNK_ROWS}
 * rows and {@link RowBudget#chunkBytes()} bytes, and the output goes out in parts of {@link FolderStore#PART_BYTES}
 * (an S3 multipart upload). The output appears whole when the file ends well and not at all when it does not (the
 * upload is aborted), so a re-run of the file (a crash, a hand-back) writes the same single object. A file's limit is
 * time (fileTimeout), not size. Between batches it looks at the clock and the execution: a file over fileTimeout
 * fails the whole execution; a cancelled or timed-out execution stops the file, which is skipped. Inputs are kept in
 * the output so rows can be joined back; predictions are appended as columns, with an {@code error} column for rows
 * the model could not take.
 */
public final class ExecutionRunner {
    /** The most rows a chunk holds (its bytes are bounded too: {@link RowBudget#chunkBytes()}). */
    public static final int CHUNK_ROWS = 65_536;
    /**
     * The most image rows of a file one model call holds (fewer when {@code parameters.batchSize} is smaller): the
     * largest batch a single file sends, and so the most a task pool worker's coalesced call holds across its files
     * ({@link dev.sluice.core.inference.CoalescingPredictor}).
     */
    public static final int IMAGE_BATCH_ROWS = 64;
    /**
     * The largest output schema (as JSON) an execution keeps: it is stored in the execution's DynamoDB item, which
     * holds at most 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html);
     * the rest of the item needs the remainder. A CSV of 10,000 columns is over it.
     */
    static final int MAX_SCHEMA_BYTES = 256 * 1024;
    private static final Logger LOG = LoggerFactory.getLogger(ExecutionRunner.class);

    private final ExecutionStore store;
    private final ExecutionService executions;
    private final ModelService models;
    private final TableFormat formats;
    private final TabularPredictor tabular;
    private final Predictor images;
    private final ItemFetcher fetcher;
    private final Clock clock;
    private final ExecutorService gatherPool = Executors.newVirtualThreadPerTaskExecutor();
    /** File tasks this JVM runs at once at most: each file's {@link RowBudget#ofHeap(int)} share. */
    private final int filesAtOnce;

    public ExecutionRunner(ExecutionStore store, ExecutionService executions, ModelService models, TableFormat formats, TabularPredictor tabular, Predictor images, ItemFetcher fetcher,
                           Clock clock) {
        this(store, executions, models, formats, tabular, images, fetcher, clock, 1);
    }

    /** @param filesAtOnce the file tasks this JVM runs at once at most (a task pool worker's slots and its spare) */
    public ExecutionRunner(ExecutionStore store, ExecutionService executions, ModelService models, TableFormat formats,
                           TabularPredictor tabular, Predictor images, ItemFetcher fetcher, Clock clock, int filesAtOnce) {
        this.filesAtOnce = filesAtOnce;
        this.store = store;
        this.executions = executions;
        this.models = models;
        this.formats = formats;
        this.tabular = tabular;
        this.images = images;
        this.fetcher = fetcher;
        this.clock = clock;
    }

    /** Why a file stopped before its end: the file is settled with this state and reason. */
    private static final class Stopped extends RuntimeException {
        final Execution.FileState state;
        /** The file's failure ends the whole execution (fileTimeout). */
        final boolean endsExecution;

        Stopped(Execution.FileState state, String reason, boolean endsExecution) {
            super(reason);
            this.state = state;
            this.endsExecution = endsExecution;
        }
    }

    /**
     * Thrown out of {@link #run(ExecutionTask, java.util.function.BooleanSupplier)} when the worker drains (SIGTERM, a
     * spot interruption): the file stopped at a batch boundary with nothing settled and its multipart upload aborted,
     * so the task goes back to its queue and the file runs again from its start, counted once.
     */
    public static final class Drained extends RuntimeException {
        Drained(String file) {
            super("draining: " + file + " handed back at a batch boundary");
        }
    }

    /** Processes one file of one execution (the file task's entry point, on Lambda and on the pools). */
    public void run(ExecutionTask task) {
        run(task, () -> false);
    }

    /**
     * {@link #run(ExecutionTask)} as one of {@code sideBySide} file tasks this process runs at once (a Lambda
     * invocation's file tasks, up to its event source's batch size of 10: a container runs one invocation at a time,
     * so they are all its files): each file's {@link RowBudget} is its share of the heap among them, so that together
     * they stay within the heap however many the invocation brought.
     */
    public void run(ExecutionTask task, int sideBySide) {
        run(task, () -> false, Math.max(filesAtOnce, sideBySide));
    }

    /**
     * {@link #run(ExecutionTask)}, stopping at the next batch boundary once {@code draining} says so.
     *
     * @throws Drained when it stopped for draining: nothing of the file was settled, its upload was aborted
     */
    public void run(ExecutionTask task, java.util.function.BooleanSupplier draining) {
        run(task, draining, filesAtOnce);
    }

    private void run(ExecutionTask task, java.util.function.BooleanSupplier draining, int filesAtOnce) {
        Execution e = store.get(task.projectId(), task.execution()).orElse(null);
        if (e == null) {
            LOG.warn("task of unknown execution {} dropped", task.execution());
            return;
        }
        if (e.status().overview().isTerminal()) {
            executions.settle(e, task, report(task, null, Execution.FileState.Skipped, null, null, null,
                    "execution.ended: the execution ended " + e.status().overview() + " before this file ran"));
            return;
        }
        if (!store.settledFiles(e.id(), task.index(), task.index() + 1).isEmpty()) {
            executions.settle(e, task, null);
            return;
        }
        long started = clock.nowMillis();
        String output = e.spec().outputFileType().rename(task.file());
        Execution.FileReport report;
        FolderStore.Upload upload = null;
        try {
            FolderStore folders = executions.folders(e);
            FolderStore.Source source;
            try {
                source = folders.open(e.spec().source(), task.file());
            } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException ex) {
                throw new FileProblem("execution.file_gone", "the file was listed but is gone: " + ex.getMessage());
            }
            RowBudget budget = RowBudget.ofHeap(filesAtOnce);
            TableReader.Limit limit = new TableReader.Limit(CHUNK_ROWS, budget.chunkBytes());
            try (TableReader reader = open(e, task, source, budget)) {
                Table chunk = next(e, task, reader, limit);
                Model model;
                try {
                    model = models.get(e.projectId(), e.spec().modelId());
                } catch (dev.sluice.core.SluiceException ex) {
                    throw new FileProblem("execution.model_gone", ex.getMessage());
                }
                if (!java.util.Objects.equals(model.status().checksum(), e.spec().modelBuild())) {
                    throw new FileProblem("execution.build_changed", "model " + model.id() + " is now build "
                            + model.status().checksum() + ", not the build " + e.spec().modelBuild() + " the execution started with");
                }
                Checkpoint checkpoint = new Checkpoint(e, task, started, draining);
                Pass pass = model.task() == Model.Task.Tabular
                        ? new TabularPass(e, task, model, chunk) : new ImagePass(e, task, model, chunk);
                TableWriter writer = null;
                long rows = 0;
                long failed = 0;
                while (chunk != null) {
                    Result result = pass.apply(chunk, checkpoint);
                    if (writer == null) {
                        upload = folders.create(e.spec().destination(), output, e.spec().outputFileType().contentType());
                        writer = formats.create(e.spec().outputFileType(), result.table().columns(), upload,
                                budget.chunkBytes());
                    }
                    writer.write(result.table());
                    rows += chunk.rows().size();
                    failed += result.failedRows();
                    chunk = next(e, task, reader, limit);
                }
                writer.finish();
                upload.complete();
                upload = null;
                report = report(task, output, Execution.FileState.Finished, rows, failed, started, null);
            }
        } catch (FileProblem p) {
            report = report(task, null, Execution.FileState.Failed, null, null, started,
                    p.code + ": " + p.getMessage());
        } catch (Stopped s) {
            report = report(task, null, s.state, null, null, started, s.getMessage());
            if (s.endsExecution) {
                executions.failWith(e, report);
                return;
            }
        } catch (IOException ex) {
            // S3 or the disk failed: SQS redelivers the task (and dead-letters it if it keeps failing)
            throw new UncheckedIOException(ex);
        } finally {
            if (upload != null) {
                upload.abort();
            }
        }
        executions.settle(e, task, report);
    }

    private TableReader open(Execution e, ExecutionTask task, FolderStore.Source source, RowBudget budget)
            throws IOException {
        try {
            return formats.open(e.spec().inputFileType(), source, budget);
        } catch (FileProblem p) {
            throw p;
        } catch (IOException | RuntimeException | StackOverflowError ex) {
            throw unreadable(e, task, ex);
        }
    }

    /** The next chunk; a file that cannot be read as its type fails, a store that fails is retried. */
    private Table next(Execution e, ExecutionTask task, TableReader reader, TableReader.Limit limit) throws IOException {
        try {
            return reader.next(limit);
        } catch (FileProblem p) {
            throw p;
        } catch (IOException | RuntimeException | StackOverflowError ex) {
            throw unreadable(e, task, ex);
        }
    }

    /**
     * A read that failed: the store's failure is retried (IOException), a file changed while read fails
     * {@code execution.file_changed}, anything else {@code execution.file_unreadable}. A hostile file (a Parquet
     * footer of deeply nested Thrift structs: StackOverflowError) must end with a code, not be redelivered until it
     * is dead-lettered.
     */
    private static RuntimeException unreadable(Execution e, ExecutionTask task, Throwable ex) throws IOException {
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof FolderStore.ChangedException changed) {
                return new FileProblem("execution.file_changed", task.file() + " changed while it was read ("
                        + changed.getMessage() + "); run it again once it is written");
            }
            if (t instanceof FolderStore.UnavailableException unavailable) {
                throw unavailable;
            }
        }
        String why = ex instanceof StackOverflowError ? "its metadata nests too deeply to be read" : ex.getMessage();
        return new FileProblem("execution.file_unreadable", "cannot read " + task.file() + " as "
                + e.spec().inputFileType() + ": " + why);
    }

    /** started: when this run of the file began (null: it did not run). */
    private Execution.FileReport report(ExecutionTask task, String output, Execution.FileState state, Long rows,
                                        Long failedRows, Long started, String reason) {
        return new Execution.FileReport(task.index(), task.file(), output, state, rows, failedRows, started,
                started == null ? null : (double) (clock.nowMillis() - started), reason);
    }

    private record Result(Table table, long failedRows) {
    }

    /** How often a running file looks whether its execution ended (cancelled, failed elsewhere): one read a second. */
    static final long LOOK_EVERY_MILLIS = 1000;

    /**
     * Between batches: fileTimeout fails the execution, a passed jobTimeout ends it TimedOut (both from the clock), and
     * an execution that ended meanwhile stops the file (a read, at most once a second however small the batches).
     */
    private final class Checkpoint {
        private final Execution e;
        private final ExecutionTask task;
        private final long started;
        private final java.util.function.BooleanSupplier draining;
        private long lastLook;

        Checkpoint(Execution e, ExecutionTask task, long started, java.util.function.BooleanSupplier draining) {
            this.e = e;
            this.task = task;
            this.started = started;
            this.draining = draining;
            this.lastLook = started;
        }

        void check() {
            if (draining.getAsBoolean()) {
                throw new Drained(task.file());
            }
            long now = clock.nowMillis();
            if (e.spec().fileTimeout() > 0 && now - started > e.spec().fileTimeout() * 1000) {
                String reason = "execution.file_timeout: a file took longer than fileTimeout (" + e.spec().fileTimeout()
                        + " s), which fails the whole execution";
                throw new Stopped(Execution.FileState.Failed, reason, true);
            }
            String timedOut = executions.timedOut(e, now);
            if (timedOut != null) {
                store.transition(e.projectId(), e.id(), Execution.State.ACTIVE, Execution.State.TimedOut, timedOut, now);
                throw new Stopped(Execution.FileState.Skipped, timedOut, false);
            }
            if (now - lastLook < LOOK_EVERY_MILLIS) {
                return;
            }
            lastLook = now;
            Execution current = store.get(e.projectId(), e.id()).orElse(e);
            if (current.status().overview().isTerminal()) {
                throw new Stopped(Execution.FileState.Skipped, "execution.ended: the execution ended "
                        + current.status().overview() + " while this file ran", false);
            }
        }
    }

    /**
     * The execution's output schema for this file: the stored one, or this file's own (input columns, then added),
     * stored now when the file has rows and none was stored before (the first file read fixes it).
     */
    private OutputSchema schema(Execution e, ExecutionTask task, Table table, List<Table.Column> own, List<String> features) {
        OutputSchema mine = new OutputSchema(List.copyOf(own), List.copyOf(features), task.file());
        String json = Json.write(mine);
        // bytes, not characters: a DynamoDB item's size is its UTF-8 bytes (column names in CJK take 3 each)
        int bytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_SCHEMA_BYTES) {
            throw new FileProblem("execution.too_many_columns", "the output schema of " + own.size() + " columns takes "
                    + bytes + " bytes, over the " + MAX_SCHEMA_BYTES + " the execution's record can"
                    + " hold (DynamoDB items are at most 400 KB); use fewer or shorter-named columns");
        }
        String stored = store.fixSchema(e.projectId(), e.id(), table.rows().isEmpty() ? null : json);
        return stored == null ? mine : Json.read(stored, OutputSchema.class);
    }

    /**
     * The input columns as they are written: a feature read as text (CSV) becomes a float64 column holding what
     * pandas reads (numbers, ±inf; missing spellings null) unless the output is CSV too (where its text is copied as
     * it was) or a cell of it is text that is no number (the column stays text, so that value is kept).
     */
    private static List<Table.Column> inputColumns(Execution e, Table table, int[] features) {
        List<Table.Column> columns = new ArrayList<>(table.columns());
        if (e.spec().outputFileType() != FileType.CSV) {
            for (int f : features) {
                Table.Column c = columns.get(f);
                if (c.type().kind() == Table.Kind.STRING && everyCellIsNumber(table, f)) {
                    columns.set(f, new Table.Column(c.name(), Table.Type.FLOAT64, c.index()));
                }
            }
        }
        return columns;
    }

    private static boolean everyCellIsNumber(Table table, int c) {
        for (Object[] row : table.rows()) {
            if (!Cells.isMissing(row[c]) && Cells.number(row[c]) == null) {
                return false;
            }
        }
        return true;
    }

    /** What a file's rows become: fixed at its first chunk (columns added, output schema), applied to every chunk. */
    private interface Pass {
        Result apply(Table chunk, Checkpoint checkpoint);
    }

    /** Tabular models: feature columns in, the model's outputs (and a label) appended as columns. */
    private final class TabularPass implements Pass {
        private final Execution e;
        private final ExecutionTask task;
        private final Model model;
        private final List<String> names = new ArrayList<>();
        private final List<Table.Column> added = new ArrayList<>();
        private final List<int[]> sources = new ArrayList<>(); // {output number, element}
        private final OutputSchema schema;
        private int labelsFrom = -1;

        TabularPass(Execution e, ExecutionTask task, Model model, Table table) {
            this.e = e;
            this.task = task;
            this.model = model;
            boolean csv = e.spec().inputFileType() == FileType.CSV;
            int[] features = RowMapping.featureColumns(table, e.spec().parameters(), csv);
            int modelWidth = tabular.inputWidth(model);
            if (modelWidth > 0 && modelWidth != features.length) {
                // every file would fail the same way: the execution ends at its first file, not row by row
                throw new Stopped(Execution.FileState.Failed, "execution.feature_width: the model takes " + modelWidth
                        + " features, but " + (e.spec().parameters().containsKey(RowMapping.FEATURE_COLUMNS)
                        ? "parameters.featureColumns names " : "the file has ") + features.length + " feature columns "
                        + Arrays.stream(features).mapToObj(f -> table.columns().get(f).name()).toList()
                        + "; name the model's inputs with parameters.featureColumns", true);
            }
            // the model's outputs and their widths, from one row of zeros: a file without rows (or whose every row
            // fails) gets the same score columns as the others
            Map<String, float[][]> probe = runModel(model, new float[1][features.length], features.length);
            names.addAll(probe.keySet());
            for (int o = 0; o < names.size(); o++) {
                int width = probe.get(names.get(o))[0].length;
                for (int k = 0; k < width; k++) {
                    added.add(new Table.Column(RowMapping.fresh(table, added, width == 1 ? names.get(o) : names.get(o) + "_" + k),
                            Table.Type.FLOAT32));
                    sources.add(new int[]{o, k});
                }
            }
            if (model.labels() != null && !model.labels().isEmpty()) {
                for (int o = 0; o < names.size() && labelsFrom < 0; o++) {
                    if (probe.get(names.get(o))[0].length == model.labels().size()) {
                        labelsFrom = o;
                        added.add(new Table.Column(RowMapping.fresh(table, added, "label"), Table.Type.STRING));
                    }
                }
            }
            added.add(new Table.Column(RowMapping.fresh(table, added, "error"), Table.Type.STRING));
            List<Table.Column> own = inputColumns(e, table, features);
            own.addAll(added);
            List<String> featureNames = Arrays.stream(features).mapToObj(f -> table.columns().get(f).name()).toList();
            schema = schema(e, task, table, own, featureNames);
        }

        /**
         * The chunk's feature columns: the schema's, by name (the first file chose them when they are the default:
         * every file takes the same ones).
         */
        private int[] features(Table table) {
            int[] features = new int[schema.features().size()];
            for (int f = 0; f < features.length; f++) {
                features[f] = table.columnIndex(schema.features().get(f));
                if (features[f] < 0) {
                    schema.fit(table.append(added, r -> new Object[added.size()]), task.file()); // names the mismatch
                }
            }
            return features;
        }

        @Override
        public Result apply(Table table, Checkpoint checkpoint) {
            int[] features = features(table);
            int batchSize = RowMapping.batchSize(e.spec().parameters());
            int n = table.rows().size();
            float[][][] outputs = new float[names.size()][n][];
            String[] errors = new String[n];
            long failed = 0;
            for (int from = 0; from < n; from += batchSize) {
                checkpoint.check();
                int to = Math.min(n, from + batchSize);
                List<Integer> good = new ArrayList<>();
                List<float[]> rows = new ArrayList<>();
                for (int r = from; r < to; r++) {
                    float[] x = new float[features.length];
                    String bad = null;
                    for (int f = 0; f < features.length && bad == null; f++) {
                        Object cell = table.rows().get(r)[features[f]];
                        Double v = Cells.feature(cell);
                        if (v == null) {
                            bad = "row.bad_feature: column \"" + table.columns().get(features[f]).name() + "\" is "
                                    + (Cells.isMissing(cell) ? "missing" : "not a finite number (" + Cells.text(cell,
                                    table.columns().get(features[f]).type()) + ")");
                        } else {
                            x[f] = v.floatValue();
                        }
                    }
                    if (bad == null) {
                        good.add(r);
                        rows.add(x);
                    } else {
                        errors[r] = bad;
                        failed++;
                    }
                }
                if (rows.isEmpty()) {
                    continue;
                }
                Map<String, float[][]> batch = runModel(model, rows.toArray(new float[0][]), features.length);
                for (int o = 0; o < names.size(); o++) {
                    float[][] column = batch.get(names.get(o));
                    for (int i = 0; i < good.size(); i++) {
                        outputs[o][good.get(i)] = column[i];
                    }
                }
            }
            final int labelOutput = labelsFrom;
            Table withOutputs = table.append(added, r -> {
                Object[] extra = new Object[added.size()];
                for (int c = 0; c < sources.size(); c++) {
                    float[] v = outputs[sources.get(c)[0]][r];
                    extra[c] = v == null ? null : v[sources.get(c)[1]];
                }
                if (labelOutput >= 0) {
                    float[] v = outputs[labelOutput][r];
                    extra[sources.size()] = v == null ? null : model.labels().get(argmax(v));
                }
                extra[added.size() - 1] = errors[r];
                return extra;
            });
            // text features written as float64 columns hold the number each row's text reads as in pandas, bad rows
            // included (NaN, inf: the input is kept, issue 21 item 6); a missing spelling is null
            List<Table.Column> columns = new ArrayList<>(withOutputs.columns());
            for (int f = 0; f < features.length; f++) {
                int c = features[f];
                if (c < schema.columns().size() && columns.get(c).type().kind() == Table.Kind.STRING
                        && schema.columns().get(c).type().kind() == Table.Kind.FLOAT && everyCellIsNumber(table, c)) {
                    columns.set(c, new Table.Column(columns.get(c).name(), Table.Type.FLOAT64, columns.get(c).index()));
                    for (int r = 0; r < n; r++) {
                        withOutputs.rows().get(r)[c] = Cells.number(withOutputs.rows().get(r)[c]);
                    }
                }
            }
            return new Result(schema.fit(new Table(columns, withOutputs.rows()), task.file()), failed);
        }
    }

    private Map<String, float[][]> runModel(Model model, float[][] rows, int features) {
        try {
            return tabular.run(model, rows);
        } catch (dev.sluice.core.port.ObjectStore.ObjectChangedException ex) {
            throw new FileProblem(dev.sluice.core.model.ModelService.CHANGED, ModelService.changedMessage(model));
        } catch (RuntimeException ex) {
            throw new FileProblem("execution.model_failed", "the model did not run on the rows (" + features
                    + " feature columns): " + ex.getMessage());
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Image models: the image column's URL fetched and predicted, a prediction (JSON) and an error appended. */
    private final class ImagePass implements Pass {
        private final Execution e;
        private final ExecutionTask task;
        private final Model model;
        private final String imageColumn;
        private final List<Table.Column> added = new ArrayList<>();
        private final OutputSchema schema;

        ImagePass(Execution e, ExecutionTask task, Model model, Table table) {
            this.e = e;
            this.task = task;
            this.model = model;
            this.imageColumn = table.columns().get(RowMapping.imageColumn(table, e.spec().parameters())).name();
            added.add(new Table.Column(RowMapping.fresh(table, added, "prediction"), Table.Type.STRING));
            added.add(new Table.Column(RowMapping.fresh(table, added, "error"), Table.Type.STRING));
            List<Table.Column> own = new ArrayList<>(table.columns());
            own.addAll(added);
            schema = schema(e, task, table, own, List.of());
        }

        @Override
        public Result apply(Table table, Checkpoint checkpoint) {
            int column = table.columnIndex(imageColumn);
            int batchSize = Math.min(RowMapping.batchSize(e.spec().parameters()), IMAGE_BATCH_ROWS);
            int n = table.rows().size();
            String[] predictions = new String[n];
            String[] errors = new String[n];
            long failed = 0;
            for (int from = 0; from < n; from += batchSize) {
                checkpoint.check();
                int to = Math.min(n, from + batchSize);
                List<Future<ItemFetcher.Fetched>> fetches = new ArrayList<>();
                for (int r = from; r < to; r++) {
                    Object value = table.rows().get(r)[column];
                    String url = value == null ? null : imageUrl(e.spec().source(), value.toString());
                    fetches.add(url == null ? null : gatherPool.submit(() -> fetcher.fetch(url)));
                }
                List<Predictor.Input> inputs = new ArrayList<>();
                for (int r = from; r < to; r++) {
                    Future<ItemFetcher.Fetched> f = fetches.get(r - from);
                    ItemFetcher.Fetched fetched = f == null ? new ItemFetcher.Fetched(null, "row.no_image",
                            "the image column is empty") : join(f);
                    if (fetched.ok()) {
                        inputs.add(new Predictor.Input(r, fetched.bytes()));
                    } else {
                        errors[r] = fetched.errorCode() + ": " + fetched.reason();
                        failed++;
                    }
                }
                if (inputs.isEmpty()) {
                    continue;
                }
                for (Predictor.Output o : images.predict(model, inputs)) {
                    int r = (int) o.index();
                    if (o.failedStage() == null) {
                        predictions[r] = Json.write(o.prediction());
                    } else {
                        errors[r] = o.reason();
                        failed++;
                    }
                }
            }
            return new Result(schema.fit(table.append(added, r -> new Object[]{predictions[r], errors[r]}), task.file()), failed);
        }
    }

    /** A URL as is; a key of the source bucket, or in local mode a path under the source folder. */
    static String imageUrl(Folder source, String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            return null;
        }
        if (v.contains("://")) {
            return v;
        }
        return source.isLocal() ? "file://" + source.path() + "/" + v : "s3://" + source.bucket() + "/" + v;
    }

    private static ItemFetcher.Fetched join(Future<ItemFetcher.Fetched> f) {
        try {
            return f.get();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            return new ItemFetcher.Fetched(null, "gather.interrupted", "the fetch was interrupted");
        } catch (java.util.concurrent.ExecutionException ex) {
            return new ItemFetcher.Fetched(null, "gather.failed", String.valueOf(ex.getCause()));
        }
    }
}
