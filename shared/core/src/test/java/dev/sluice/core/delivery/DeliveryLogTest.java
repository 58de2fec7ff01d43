package dev.sluice.core.delivery;

import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeCore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The record of a webhook's attempts: newest first, bounded retention, one project's and webhook's only. */
class DeliveryLogTest {
    final FakeCore core = new FakeCore();
    final DeliveryLog log = core.deliveryLog();

    static DeliveryLog.Stored attempt(String requestId, long index, long time) {
        return new DeliveryLog.Stored(requestId, "batchjob_1", index, null, "u" + index, 200, 3, null, time, false, "{}");
    }

    @Test
    void roundsAreListedNewestFirst_andNothingOlderThanTheRetentionIsListedOrFound() {
        log.record("proj_a", "webhook_1", List.of(attempt("r0", 0, core.clock.nowMillis()), attempt("r1", 1, core.clock.nowMillis())));
        core.clock.advance(DeliveryLog.RETENTION_MILLIS - 1_000);
        log.record("proj_a", "webhook_1", List.of(attempt("r2", 2, core.clock.nowMillis())));
        assertEquals(List.of("r2", "r0", "r1"), log.list("proj_a", "webhook_1", new PageRequest(10, null, true))
                .data().stream().map(DeliveryLog.Attempt::requestId).toList());
        core.clock.advance(2_000);
        assertEquals(List.of("r2"), log.list("proj_a", "webhook_1", new PageRequest(10, null, true))
                .data().stream().map(DeliveryLog.Attempt::requestId).toList(), "the first round is past the retention");
        assertTrue(log.find("proj_a", "webhook_1", "r0").isEmpty());
        assertEquals(2L, log.find("proj_a", "webhook_1", "r2").orElseThrow().itemIndex());
    }

    @Test
    void anotherProjectsOrWebhooksAttempts_areNeverListedNorFound_andTheirCursorsAreRefused() {
        log.record("proj_a", "webhook_1", List.of(attempt("r0", 0, 1), attempt("r1", 1, 1)));
        assertEquals(0, log.list("proj_b", "webhook_1", new PageRequest(10, null, true)).data().size());
        assertTrue(log.find("proj_b", "webhook_1", "r0").isEmpty());
        assertTrue(log.find("proj_a", "webhook_2", "r0").isEmpty());
        String cursor = log.list("proj_a", "webhook_1", new PageRequest(1, null, true)).nextPage();
        SluiceException e = assertThrows(SluiceException.class,
                () -> log.list("proj_b", "webhook_1", PageRequest.of("1", cursor)));
        assertEquals(PageRequest.BAD_CURSOR, e.code());
        assertEquals(List.of("r1"), log.list("proj_a", "webhook_1", PageRequest.of("1", cursor)).data().stream()
                .map(DeliveryLog.Attempt::requestId).toList());
    }
}
