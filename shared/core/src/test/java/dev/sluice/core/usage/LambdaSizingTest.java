package dev.sluice.core.usage;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cost per photo on Lambda from a measurement of the inference stage (issue 26, item 4). */
class LambdaSizingTest {
    private static final LambdaSizing.Prices PRICES = new LambdaSizing.Prices("2026-12-07", 0.0000166667, 0.0000133334, 0.20);

    @Test
    void estimate_isGbSecondsOfWallTime_atTheVcpusTheMemoryBuys() {
        // 20 ms CPU per photo, cores busy 80 %, 0.64 s idle per invocation of 320 photos, $0.20 orchestration
        var m = new LambdaSizing.Measurement("2026-12-07", "test", LambdaSizing.Architecture.X86_64, 0.020, 0.8, 0.64, 320, 0.20);
        var oneVcpu = LambdaSizing.estimate(m, new LambdaSizing.Size(1769), LambdaSizing.Architecture.X86_64, PRICES);
        double wall = 0.020 / 0.8 + 0.64 / 320; // 25 ms working + 2 ms idle per photo
        assertEquals(1769 / 1024.0 * wall, oneVcpu.gbSecondsPerPhoto(), 1e-12);
        assertEquals(1769 / 1024.0 * wall * 0.0000166667 * 1e6 + 0.20 / 320 + 0.20, oneVcpu.usdPerMillion(), 1e-9);
        var twoVcpus = LambdaSizing.estimate(m, new LambdaSizing.Size(3538), LambdaSizing.Architecture.X86_64, PRICES);
        assertEquals(3538 / 1024.0 * (0.020 / (2 * 0.8) + 0.64 / 320), twoVcpus.gbSecondsPerPhoto(), 1e-12,
                "twice the vCPUs halve the working time, not the idle time");
        assertTrue(oneVcpu.usdPerMillion() < twoVcpus.usdPerMillion());
    }

    @Test
    void cheapest_isAmongTheMeasuredArchitectureOnly() {
        var m = new LambdaSizing.Measurement("2026-12-07", "test", LambdaSizing.Architecture.X86_64, 0.020, 0.8, 0.64, 320, 0.20);
        var all = LambdaSizing.estimates(m, PRICES);
        assertEquals(2 * LambdaSizing.OFFERED.size(), all.size());
        var arm = all.stream().filter(e -> e.architecture() == LambdaSizing.Architecture.ARM64).toList();
        assertTrue(arm.stream().noneMatch(LambdaSizing.Estimate::measured), "arm64 was not measured here");
        var cheapest = LambdaSizing.cheapest(m, PRICES);
        assertEquals(LambdaSizing.Architecture.X86_64, cheapest.architecture(), "an unmeasured architecture is a guess");
        assertEquals(1769, cheapest.size().memoryMb());
        assertTrue(arm.get(0).usdPerMillion() < cheapest.usdPerMillion(), "arm64's GB-second costs 20 % less");
    }

    @Test
    void theBundledTableAndMeasurement_areReadable() {
        var prices = LambdaSizing.prices("us-east-1");
        assertFalse(prices.date().isBlank());
        assertTrue(prices.arm64GbSecond() > 0 && prices.arm64GbSecond() < prices.x86GbSecond());
        assertTrue(prices.requestPerMillion() > 0);
        assertThrows(IllegalArgumentException.class, () -> LambdaSizing.prices("mars-north-1"));
        var recorded = LambdaSizing.recorded();
        assertTrue(recorded.cpuSecondsPerPhoto() > 0);
        assertThrows(IllegalArgumentException.class, () -> new LambdaSizing.Measurement("d", "m",
                LambdaSizing.Architecture.X86_64, 0.02, 1.5, 0, 320, 0), "a utilisation over 1 is not a measurement");
    }
}
