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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.stream.Stream;

/**
 * One file task on a worker: download the file, run the model over its rows in batches, write one output file with
 * the same base name to the destination folder, and settle the file once. Between batches it looks at the clock and
 * the execution: a file over fileTimeout fails the whole execution; a cancelled or timed-out execution stops the
 * file, which is skipped. Inputs are kept in the output so rows can be joined back; predictions are appended as
 * columns, with an {@code error} column for rows the model could not take.
 */
public final class ExecutionRunner {
    /** Files larger than this fail (they are read whole, in the worker's memory). */
    public static final long MAX_FILE_BYTES = 512L * 1024 * 1024;
    /**
     * The largest output schema (as JSON) an execution keeps: it is stored in the execution's DynamoDB item, which
     * holds at most 400 KB (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html);
     * the rest of the item needs the remainder. A CSV of 10,000 columns is over it.
     */
    static final int MAX_SCHEMA_CHARS = 256 * 1024;
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

    public ExecutionRunner(ExecutionStore store, ExecutionService executions, ModelService models, TableFormat formats, TabularPredictor tabular, Predictor images, ItemFetcher fetcher,
                           Clock clock) {
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
     * spot interruption): the file stopped at a batch boundary before anything of it was written or settled, so the
     * task goes back to its queue and the file runs again from its start, counted once.
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
     * {@link #run(ExecutionTask)}, stopping at the next batch boundary once {@code draining} says so.
     *
     * @throws Drained when it stopped for draining: nothing of the file was written or settled
     */
    public void run(ExecutionTask task, java.util.function.BooleanSupplier draining) {
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
        Path dir = null;
        Execution.FileReport report;
        try {
            FolderStore folders = executions.folders(e);
            dir = Files.createTempDirectory("sluice-file-");
            Path in = dir.resolve("in");
            try {
                folders.download(e.spec().source(), task.file(), in, MAX_FILE_BYTES);
            } catch (FolderStore.FileTooLargeException ex) {
                throw new FileProblem("execution.file_too_large", ex.getMessage());
            } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException ex) {
                throw new FileProblem("execution.file_gone", "the file was listed but is gone: "
                        + ex.getMessage());
            }
            Table table;
            try {
                table = formats.read(e.spec().inputFileType(), in, RowBudget.ofHeap());
            } catch (FileProblem p) {
                throw p;
            } catch (IOException | RuntimeException ex) {
                throw new FileProblem("execution.file_unreadable", "cannot read " + task.file() + " as "
                        + e.spec().inputFileType() + ": " + ex.getMessage());
            } catch (StackOverflowError ex) {
                // a hostile file (a Parquet footer of deeply nested Thrift structs) must end with a code, not be
                // redelivered until it is dead-lettered
                throw new FileProblem("execution.file_unreadable", "cannot read " + task.file() + " as "
                        + e.spec().inputFileType() + ": its metadata nests too deeply to be read");
            }
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
            Result result = model.task() == Model.Task.Tabular
                    ? predictTabular(e, task, model, table, new Checkpoint(e, task, started, draining))
                    : predictImages(e, task, model, table, new Checkpoint(e, task, started, draining));
            Path out = dir.resolve("out");
            formats.write(e.spec().outputFileType(), result.table(), out);
            folders.upload(e.spec().destination(), output, out, e.spec().outputFileType().contentType());
            report = report(task, output, Execution.FileState.Finished, (long) table.rows().size(), result.failedRows(),
                    started, null);
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
            deleteQuietly(dir);
        }
        executions.settle(e, task, report);
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
        if (json.length() > MAX_SCHEMA_CHARS) {
            throw new FileProblem("execution.too_many_columns", "the output schema of " + own.size() + " columns takes "
                    + json.length() + " characters, over the " + MAX_SCHEMA_CHARS + " the execution's record can"
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

    private Result predictTabular(Execution e, ExecutionTask task, Model model, Table table, Checkpoint checkpoint) {
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
        List<String> names = new ArrayList<>(probe.keySet());
        List<Table.Column> added = new ArrayList<>();
        List<int[]> sources = new ArrayList<>(); // {output number, element}
        for (int o = 0; o < names.size(); o++) {
            int width = probe.get(names.get(o))[0].length;
            for (int k = 0; k < width; k++) {
                added.add(new Table.Column(RowMapping.fresh(table, added, width == 1 ? names.get(o) : names.get(o) + "_" + k),
                        Table.Type.FLOAT32));
                sources.add(new int[]{o, k});
            }
        }
        int labelsFrom = -1;
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
        OutputSchema schema = schema(e, task, table, own, featureNames);
        if (!schema.features().equals(featureNames)) {
            // the first file chose them (default features): every file takes the same ones
            features = new int[schema.features().size()];
            for (int f = 0; f < features.length; f++) {
                features[f] = table.columnIndex(schema.features().get(f));
                if (features[f] < 0) {
                    schema.fit(table.append(added, r -> new Object[added.size()]), task.file()); // names the mismatch
                }
            }
        }
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
            if (columns.get(c).type().kind() == Table.Kind.STRING
                    && schema.columns().get(c).type().kind() == Table.Kind.FLOAT && everyCellIsNumber(table, c)) {
                columns.set(c, new Table.Column(columns.get(c).name(), Table.Type.FLOAT64, columns.get(c).index()));
                for (int r = 0; r < n; r++) {
                    withOutputs.rows().get(r)[c] = Cells.number(withOutputs.rows().get(r)[c]);
                }
            }
        }
        return new Result(schema.fit(new Table(columns, withOutputs.rows()), task.file()), failed);
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

    private Result predictImages(Execution e, ExecutionTask task, Model model, Table table, Checkpoint checkpoint) {
        int column = RowMapping.imageColumn(table, e.spec().parameters());
        List<Table.Column> added = new ArrayList<>();
        added.add(new Table.Column(RowMapping.fresh(table, added, "prediction"), Table.Type.STRING));
        added.add(new Table.Column(RowMapping.fresh(table, added, "error"), Table.Type.STRING));
        List<Table.Column> own = new ArrayList<>(table.columns());
        own.addAll(added);
        OutputSchema schema = schema(e, task, table, own, List.of());
        int batchSize = Math.min(RowMapping.batchSize(e.spec().parameters()), 64);
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

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder left behind is removed with the container
        }
    }
}
