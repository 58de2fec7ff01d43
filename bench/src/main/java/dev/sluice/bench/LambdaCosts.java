package dev.sluice.bench;

import dev.sluice.core.usage.LambdaSizing;

import java.time.LocalDate;

/**
 * $ per million photos on Lambda at every memory size and architecture the CDK app offers, from this run's inference
 * stage ({@link InferenceStageBench}: CPU-seconds per photo, utilisation, idle time per invocation) and job
 * (orchestration requests), at the dated price table's us-east-1 prices ({@link LambdaSizing}). Prints the measurement
 * as the JSON of {@code lambda-measurement.json}, whose cheapest size is the CDK default.
 */
final class LambdaCosts {
    static final double TARGET_USD_PER_MILLION = 1.50;

    private LambdaCosts() {
    }

    static void addTo(Table table, InferenceStageBench.Result stage, double orchestrationPerMillion) {
        LambdaSizing.Architecture here = System.getProperty("os.arch").matches("aarch64|arm64")
                ? LambdaSizing.Architecture.ARM64 : LambdaSizing.Architecture.X86_64;
        int cores = Runtime.getRuntime().availableProcessors();
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        String machine = cores + " cores, " + System.getProperty("os.arch") + ", load average " + String.format("%.1f", load);
        // CPU-seconds per photo hold on a shared machine (a thread's clock stops while it waits for a core); the
        // utilisation does not: with more runnable threads than cores, the stage's wall time is the other work's.
        // Then the vCPUs are taken as busy (utilisation 1), and the row says so.
        boolean shared = load > cores;
        double utilisation = shared ? 1.0 : stage.utilisation();
        if (shared) {
            table.add("cost / 1M photos (Lambda)", "utilisation of the vCPUs", String.format("taken as 1: load average %.1f"
                    + " on %d cores, the measured %.2f is the other work's", load, cores, stage.utilisation()), null, null);
        }
        LambdaSizing.Measurement m = new LambdaSizing.Measurement(LocalDate.now().toString(), machine, here,
                stage.cpuMsPerPhoto() / 1000, utilisation, stage.idleMsPerInvocation() / 1000,
                stage.photosPerInvocation(), orchestrationPerMillion);
        LambdaSizing.Prices prices = LambdaSizing.prices("us-east-1");
        for (LambdaSizing.Estimate e : LambdaSizing.estimates(m, prices)) {
            table.add("cost / 1M photos (Lambda)", String.format("%,d MB (%.0f vCPU), %s%s", e.size().memoryMb(),
                            e.size().vcpus(), e.architecture().wire(), e.measured() ? "" : " (not measured: same CPU-s assumed)"),
                    String.format("%.4f GB-s per photo → $%.3f (compute $%.3f + orchestration $%.3f)", e.gbSecondsPerPhoto(),
                            e.usdPerMillion(), e.usdPerMillion() - orchestrationPerMillion, orchestrationPerMillion),
                    null, null);
        }
        LambdaSizing.Estimate best = LambdaSizing.cheapest(m, prices);
        LambdaSizing.Estimate deployed = LambdaSizing.cheapest(LambdaSizing.recorded(), prices);
        table.add("cost / 1M photos (Lambda)", "cheapest measured: the CDK default (from lambda-measurement.json: "
                        + deployed.size().memoryMb() + " MB, " + deployed.architecture().wire() + ")",
                String.format("%,d MB %s: $%.3f per million photos (prices of %s, us-east-1)", best.size().memoryMb(),
                        best.architecture().wire(), best.usdPerMillion(), prices.date()),
                "≤ $" + TARGET_USD_PER_MILLION, best.usdPerMillion() <= TARGET_USD_PER_MILLION);
        System.out.printf("lambda-measurement.json of this run: {\"date\": \"%s\", \"machine\": \"%s\", \"architecture\": \"%s\","
                        + " \"cpuSecondsPerPhoto\": %.5f, \"utilisation\": %.3f, \"idleSecondsPerInvocation\": %.3f,"
                        + " \"photosPerInvocation\": %d, \"orchestrationUsdPerMillion\": %.4f}%n", m.date(), m.machine(),
                m.architecture().wire(), m.cpuSecondsPerPhoto(), m.utilisation(), m.idleSecondsPerInvocation(),
                m.photosPerInvocation(), m.orchestrationUsdPerMillion());
    }
}
