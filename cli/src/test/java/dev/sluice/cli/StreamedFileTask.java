package dev.sluice.cli;

import dev.sluice.aws.UserFolders;
import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.Ids;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.inference.TabularPredictor;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionRunner;
import dev.sluice.execution.ExecutionService;
import dev.sluice.execution.FileList;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;
import dev.sluice.execution.fakes.FakeExecutions;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.tables.Tables;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One file task, as a worker runs it ({@link ExecutionRunner#run}), in its own JVM: the file s3://user-bucket/in/NAME
 * of an S3 endpoint (the emulators' S3) through a Tabular model whose output {@code score} is the float sum of its
 * features x0, x1, x2, Parquet to Parquet, into s3://user-bucket/out. The S3 side is real (UserFolders over the AWS
 * SDK: ranged GETs, a multipart upload); the execution's record and the model's catalog entry are the in-memory
 * fakes. Prints one line: {@code state S rows N failed F millis T reason R}. Used by {@link StreamedFileChildJvmTest}
 * and {@code ./sluice bench}.
 */
public final class StreamedFileTask {
    private StreamedFileTask() {
    }

    /** args: the S3 endpoint, the file's name under in/. */
    public static void main(String[] args) {
        URI s3 = URI.create(args[0]);
        var clients = LocalProvisioner.clients(s3, s3, s3, List.of());
        FakeExecutions fx = new FakeExecutions();
        FakeCore core = fx.core;
        ModelService models = new ModelService(core.catalog, core.objects, core.clock);
        ExecutionService service = new ExecutionService(fx.executions, models, new UserFolders(clients.s3()),
                new FileList(core.objects), core.queue, core.clock, false, fx.secrets,
                new AllowedBuckets(Set.of(FakeCore.USER_BUCKET), FakeCore.DATA_BUCKET));
        long now = core.clock.nowMillis();
        Model image = core.readyModel();
        Model tabular = new Model(image.id(), image.object(), image.name(), image.projectId(), Model.Task.Tabular,
                image.source(), null, null, image.status(), now, now);
        core.catalog.put(FakeCore.PROJECT, tabular.id(), tabular);
        var spec = new Execution.Spec(tabular.id(), tabular.status().checksum(), new Folder(FakeCore.USER_BUCKET, "in"),
                new Folder(FakeCore.USER_BUCKET, "out"), FileType.PARQUET, FileType.PARQUET, 0, 0, 1,
                Map.of("featureColumns", "x0,x1,x2"), null, null);
        Execution e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, FakeCore.PROJECT, spec,
                new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now);
        fx.executions.create(e);
        service.listFiles(ExecutionTask.list(FakeCore.PROJECT, e.id(), null, 0), () -> 600_000);
        ExecutionRunner runner = new ExecutionRunner(fx.executions, service, models, new Tables(), SUM, core.predictor,
                core.fetcher, core.clock);
        long started = System.nanoTime();
        runner.run(ExecutionTask.file(FakeCore.PROJECT, e.id(), 0, args[1]));
        long millis = (System.nanoTime() - started) / 1_000_000;
        Execution.FileReport r = fx.executions.settledFiles(e.id(), 0, 1).get(0);
        System.out.println("state " + r.status() + " rows " + r.rows() + " failed " + r.failedRows() + " millis "
                + millis + " reason " + r.reason());
        System.exit(0);
    }

    /** score = x0 + x1 + x2, summed as floats in that order. */
    static final TabularPredictor SUM = new TabularPredictor() {
        @Override
        public Map<String, float[][]> run(Model model, float[][] features) {
            float[][] out = new float[features.length][1];
            for (int r = 0; r < features.length; r++) {
                for (float f : features[r]) {
                    out[r][0] += f;
                }
            }
            return Map.of("score", out);
        }

        @Override
        public int inputWidth(Model model) {
            return 3;
        }
    };
}
