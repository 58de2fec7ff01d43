package dev.sluice.execution;

import dev.sluice.core.usage.FargateSize;
import dev.sluice.core.usage.PriceTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A dry run prices the compute the execution would run on: before, every target was priced as a 2-vCPU Lambda
 * function, so a CPU or GPU pool execution's estimate was the Lambda one.
 */
class ExecutionEstimateTest {
    private static final PriceTable.Prices US_EAST_1 = PriceTable.bundled().in("us-east-1").orElseThrow();
    private static final long GB = 1L << 30;

    private static Compute compute(Compute.Target target, String instance, int tasks) {
        return new Compute(target, instance, target.isPool() ? Compute.PurchaseOption.onDemand : null, tasks);
    }

    @Test
    void lambda_isPricedAtTheInstancesMemory_andReadsInProportionToItsVcpus() {
        ExecutionEstimate one = ExecutionEstimate.fromBenchmark(FileType.PARQUET, 4, 4 * GB, compute(Compute.Target.Lambda, "1769", 4));
        ExecutionEstimate two = ExecutionEstimate.fromBenchmark(FileType.PARQUET, 4, 4 * GB, compute(Compute.Target.Lambda, "3538", 4));
        assertEquals(1769 / 1024.0 * US_EAST_1.lambdaGbSecond(), one.basis().usdPerWorkerSecond(), 1e-9);
        assertEquals(2 * one.basis().usdPerWorkerSecond(), two.basis().usdPerWorkerSecond(), 1e-9);
        assertEquals(ExecutionEstimate.PARQUET_BYTES_PER_SECOND, two.basis().bytesPerSecond(), "2 vCPUs: the benchmark's rate");
        assertEquals(ExecutionEstimate.PARQUET_BYTES_PER_SECOND / 2.0, one.basis().bytesPerSecond(), 1, "1 vCPU: half of it");
        assertEquals(2.0, (double) one.estimatedSeconds() / two.estimatedSeconds(), 0.01, "half the vCPUs: twice the time");
        // Lambda bills memory × time, and time is in inverse proportion to memory here: the same compute cost
        assertEquals(one.estimatedCostUsd(), two.estimatedCostUsd(), 1e-5, "to the rounding of the rates");
    }

    @Test
    void aCpuPoolTask_isPricedByItsFargateSize_andAGpuPoolTaskByItsInstanceHour() {
        ExecutionEstimate cpu = ExecutionEstimate.fromBenchmark(FileType.CSV, 2, GB, compute(Compute.Target.CpuPool, "2vcpu-4gb", 2));
        assertEquals((2 * 0.04048 + 4 * 0.004445) / 3600, cpu.basis().usdPerWorkerSecond(), 1e-9,
                "Fargate us-east-1: $0.04048 per vCPU-hour, $0.004445 per GB-hour");
        assertEquals(ExecutionEstimate.CSV_BYTES_PER_SECOND, cpu.basis().bytesPerSecond());
        ExecutionEstimate cpu4 = ExecutionEstimate.fromBenchmark(FileType.CSV, 2, GB, compute(Compute.Target.CpuPool, "4vcpu-8gb", 2));
        assertEquals(2 * cpu.basis().usdPerWorkerSecond(), cpu4.basis().usdPerWorkerSecond(), 1e-9);
        assertEquals(2 * ExecutionEstimate.CSV_BYTES_PER_SECOND, cpu4.basis().bytesPerSecond(), 1);

        ExecutionEstimate gpu = ExecutionEstimate.fromBenchmark(FileType.CSV, 2, GB, compute(Compute.Target.GpuPool, "g4dn.xlarge", 2));
        assertEquals(US_EAST_1.gpuTaskHour() / 3600, gpu.basis().usdPerWorkerSecond(), 1e-9);
        double gpuCompute = gpu.estimatedCostUsd() - 2 * ExecutionEstimate.USD_PER_FILE;
        double cpuCompute = cpu.estimatedCostUsd() - 2 * ExecutionEstimate.USD_PER_FILE;
        assertEquals(US_EAST_1.gpuTaskHour() / ((2 * 0.04048 + 4 * 0.004445)), gpuCompute / cpuCompute, 0.01,
                "the same work at the same rate: the ratio of the hourly prices");
    }

    @Test
    void fargateSizes_parseAsTheCdkAppNamesThem() {
        assertEquals(new FargateSize(2, 4), FargateSize.parse("2vcpu-4gb"));
        assertEquals(new FargateSize(16, 120), FargateSize.parse("16vcpu-120gb"));
        assertNull(FargateSize.parse("2vcpu"));
        assertNull(FargateSize.parse("0vcpu-4gb"));
        assertNull(FargateSize.parse(null));
        assertEquals(0.04048 + 2 * 0.004445, new FargateSize(1, 2).hourUsd(US_EAST_1), 1e-12,
                "1 vCPU + 2 GB: the $0.04937 the table held before it priced by size");
    }
}
