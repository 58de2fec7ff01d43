package dev.sluice.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** `sluice local --inference-batch-messages N`: Lambda's SQS BatchSize, 1 to 10, 10 unless told (no stack started). */
class LocalOptionsTest {
    private static final LocalStack.Access ACCESS = new LocalStack.Access(false, List.of(), List.of());

    @Test
    void inferenceBatchMessages_defaultsToTheDeploymentsBatchSize_andIsOneToTen() {
        LocalStack.Options defaults = LocalStack.Options.defaults(0, null, ACCESS);
        assertEquals(10, defaults.inferenceBatchMessages());
        assertEquals(1, defaults.withInferenceBatchMessages(1).inferenceBatchMessages());
        assertEquals(1, defaults.withInferenceBatchMessages(1).withTunables(defaults.tunables()).inferenceBatchMessages(),
                "kept by the other with-ers");
        for (int refused : new int[] {0, 11, -1}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> defaults.withInferenceBatchMessages(refused));
            assertTrue(e.getMessage().startsWith("--inference-batch-messages is 1 to 10"), e.getMessage());
        }
    }
}
