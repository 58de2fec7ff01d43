package dev.sluice.aws;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TunablesTest {
    @Test
    void defaults_areWhatThePipelineRanWithBeforeTheyWereSettable() {
        Tunables d = Tunables.DEFAULTS;
        assertEquals(32L * 1024 * 1024, d.maxItemBytes());
        assertEquals(Duration.ofSeconds(5), d.itemConnectTimeout());
        assertEquals(Duration.ofSeconds(20), d.itemDeadline());
        assertEquals(Duration.ofSeconds(5), d.webhookConnectTimeout());
        assertEquals(Duration.ofSeconds(20), d.fanoutReserve());
        assertEquals(dev.sluice.core.inference.BatchProcessor.GATHER_PATIENCE_MILLIS, d.gatherPatience().toMillis());
        assertEquals(d, Tunables.fromEnv(Map.of()));
    }

    @Test
    void eachVariable_setsItsValue() {
        Tunables t = Tunables.fromEnv(Map.of("SLUICE_MAX_ITEM_BYTES", "1048576", "SLUICE_ITEM_CONNECT_TIMEOUT_MS", "1500",
                "SLUICE_ITEM_DEADLINE_MS", "60000", "SLUICE_WEBHOOK_CONNECT_TIMEOUT_MS", "2500",
                "SLUICE_FANOUT_RESERVE_MS", "30000", "SLUICE_GATHER_PATIENCE_MS", " 7000 "));
        assertEquals(new Tunables(1 << 20, Duration.ofMillis(1500), Duration.ofMinutes(1), Duration.ofMillis(2500),
                Duration.ofSeconds(30), Duration.ofSeconds(7)), t);
        assertEquals(t, Tunables.fromEnv(t.toEnv()));
        assertEquals(Tunables.ENV.size(), t.toEnv().size());
    }

    @Test
    void aValueThatIsNotAPositiveWholeNumber_isRefused_namingTheVariable() {
        for (String bad : new String[]{"0", "-5", "5s", "1.5", "99999999999999999999"}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Tunables.fromEnv(Map.of("SLUICE_ITEM_DEADLINE_MS", bad)));
            assertTrue(e.getMessage().contains("SLUICE_ITEM_DEADLINE_MS"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Tunables(0, Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }
}
