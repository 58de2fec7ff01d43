package dev.sluice.execution;

import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeBatchQueue;
import dev.sluice.core.pipeline.BatchQueue;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** compute: its defaults, the queue each target and purchase option goes to, and what the deployment does not have. */
class ComputeTest {
    static final Compute.Offer OFFER = Compute.Offer.lambda(List.of("1769", "10240"))
            .with(Compute.Target.CpuPool, List.of("2vcpu-4gb"));
    /** A deployment with the CPU pool's on-demand queue only. */
    static final FakeBatchQueue QUEUES = new FakeBatchQueue(EnumSet.of(BatchQueue.Name.FANOUT, BatchQueue.Name.INFERENCE,
            BatchQueue.Name.DELIVERY, BatchQueue.Name.CPU_TASKS));

    static Compute of(Compute.Request r, Integer parallelism) {
        return Compute.of(r, parallelism, OFFER, QUEUES, 10, 1000);
    }

    static String code(Compute.Request r, Integer parallelism) {
        return assertThrows(SluiceException.class, () -> of(r, parallelism)).code();
    }

    @Test
    void leftOut_isLambda_atItsFirstInstance_onDemand_parallelismOrTenTasks() {
        assertEquals(new Compute(Compute.Target.Lambda, "1769", Compute.PurchaseOption.onDemand, 10), of(null, null));
        assertEquals(4, of(null, 4).tasks());
        assertEquals(BatchQueue.Name.INFERENCE, of(null, null).queue());
        assertEquals("10240", of(new Compute.Request(null, "10240", null, null), null).instance());
    }

    @Test
    void aPool_goesToItsPurchaseOptionsQueue() {
        Compute cpu = of(new Compute.Request("CpuPool", null, null, 3), null);
        assertEquals(new Compute(Compute.Target.CpuPool, "2vcpu-4gb", Compute.PurchaseOption.onDemand, 3), cpu);
        assertEquals(BatchQueue.Name.CPU_TASKS, cpu.queue());
        assertEquals(BatchQueue.Name.CPU_SPOT_TASKS, Compute.queue(Compute.Target.CpuPool, Compute.PurchaseOption.spot));
        assertEquals(BatchQueue.Name.GPU_SPOT_TASKS, Compute.queue(Compute.Target.GpuPool, Compute.PurchaseOption.spot));
        assertEquals(BatchQueue.Name.GPU_TASKS, Compute.queue(Compute.Target.GpuPool, Compute.PurchaseOption.onDemand));
    }

    @Test
    void whatTheDeploymentDoesNotHave_isRefusedWithACode() {
        assertEquals("execution.compute_unavailable", code(new Compute.Request("GpuPool", null, null, null), null));
        assertEquals("execution.compute_unavailable", code(new Compute.Request("CpuPool", null, "spot", null), null),
                "a pool whose spot queue is not configured");
        assertEquals("execution.bad_instance", code(new Compute.Request("CpuPool", "4vcpu-8gb", null, null), null));
        assertEquals("execution.bad_instance", code(new Compute.Request(null, "512", null, null), null));
        assertEquals("execution.bad_purchase_option", code(new Compute.Request("Lambda", null, "spot", null), null));
        assertEquals("execution.bad_purchase_option", code(new Compute.Request("CpuPool", null, "on-demand", null), null));
        assertEquals("execution.bad_compute_target", code(new Compute.Request("lambda", null, null, null), null));
        assertEquals("execution.bad_tasks", code(new Compute.Request("CpuPool", null, null, 1001), null));
        assertEquals("execution.bad_tasks", code(new Compute.Request("CpuPool", null, null, 2), 3));
        assertEquals(2, of(new Compute.Request("CpuPool", null, null, 2), 2).tasks());
    }
}
