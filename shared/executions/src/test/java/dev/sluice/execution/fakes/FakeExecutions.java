package dev.sluice.execution.fakes;

import dev.sluice.core.AllowedBuckets;
import dev.sluice.core.Ids;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.model.Model;
import dev.sluice.core.model.ModelService;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionService;
import dev.sluice.execution.FileList;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Folder;

import java.util.Map;
import java.util.Set;

/**
 * The executions module's ports as in-memory fakes, over a {@link FakeCore} (its catalog, objects, queue and clock),
 * and the services built over them the way the functions build them. The core's scheduler and dead-letter drain of
 * {@link #core} reach executions through {@link #service()}, as in a deployed function. One instance per test.
 */
public final class FakeExecutions {
    public final FakeCore core;
    public final FakeExecutionStore executions = new FakeExecutionStore();
    public final FakeFolderStore folders = new FakeFolderStore();
    public final dev.sluice.core.fakes.FakeSecretStore secrets = new dev.sluice.core.fakes.FakeSecretStore();
    /** The projects' external ids, in the core's catalog; one principal, as a deployment names its functions' roles. */
    public final dev.sluice.core.auth.ExecutionRoles roles;

    public FakeExecutions() {
        this(new FakeCore());
    }

    public FakeExecutions(FakeCore core) {
        this.core = core;
        this.roles = new dev.sluice.core.auth.ExecutionRoles(core.catalog,
                java.util.List.of("arn:aws:iam::111122223333:role/sluice-functions"), core.clock);
        core.executionTasks = service();
    }

    /** Executions may reach {@link FakeCore#USER_BUCKET} with the functions' own role, never the data bucket. */
    public ExecutionService service() {
        return new ExecutionService(executions, new ModelService(core.catalog, core.objects, core.clock), folders,
                new FileList(core.objects), core.queue, core.clock, false, secrets,
                new AllowedBuckets(Set.of(FakeCore.USER_BUCKET), FakeCore.DATA_BUCKET), roles);
    }

    /** A Pending execution of a ready model from s3://user-bucket/in to s3://user-bucket/out, stored. */
    public Execution pendingExecution(long jobTimeoutSeconds, int parallelism) {
        long now = core.clock.nowMillis();
        Model model = core.readyModel();
        var spec = new Execution.Spec(model.id(), model.status().checksum(), new Folder(FakeCore.USER_BUCKET, "in"),
                new Folder(FakeCore.USER_BUCKET, "out"), FileType.CSV, FileType.CSV, jobTimeoutSeconds, 0,
                parallelism, Map.of(), null, null);
        var e = new Execution(Ids.newId(Ids.EXECUTION, now), Execution.OBJECT, FakeCore.PROJECT, spec,
                new Execution.Status(Execution.State.Pending, null, null, 0, 0, 0, null, null), now, now);
        executions.create(e);
        return e;
    }
}
