package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.Samples;
import dev.sluice.local.StageWrapper;
import dev.sluice.local.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The webhook retry budget, counted per item, end to end. The delivery queue's visibility timeout is the tests'
 * usual 20 s (not the 3 s of {@link WebhookMisbehaviourTest}): an attempt that outlives its visibility timeout runs
 * beside its own redelivery, and both POST (at least once, by design); on AWS the timeout is 6x the function's, so
 * an attempt is stopped first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WebhookRetriesTest {
    StackUnderTest under;

    @BeforeAll
    void start() {
        under = new StackUnderTest(Samples.root().resolve("images"), LocalProvisioner.QueueSettings.TEST,
                StageWrapper.NONE, true);
    }

    @AfterAll
    void stop() {
        if (under != null) {
            under.close();
        }
    }

    /**
     * A receiver that always answers 500, slowly enough that its endpoint gets busy and batches are deferred: every
     * item is POSTed exactly 1 + maxRetries times before failedDeliver, whatever round it was first tried in, and its
     * reason says so. (On old main the budget was counted per batch: items first tried in a later round got fewer
     * POSTs, and reasons said "7 attempts" with maxRetries 5; the same miscount shows with 3.)
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {1, 3}) // 5 took 57 s of CI, each retry round ~10 s
    void alwaysFailingReceiver_getsExactlyOnePlusMaxRetriesPostsPerItem(int maxRetries) {
        int items = 64;
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            receiver.respond(r -> 500);
            receiver.hold(250); // 16 at a time per endpoint: later POSTs wait, and their batches are deferred
            Map<String, Object> spec = Map.of("endpoint", receiver.url(),
                    "retries", Map.of("maxRetries", maxRetries, "maxBackoffMs", 1000));
            LocalJobs.Run run = under.jobs.await(under.jobs.startJob(under.jobs.photoLines(items), 8, "Lambda", receiver, spec),
                    Duration.ofMinutes(4));
            ItemCounters c = run.counters();
            assertNull(c.violation(items), c.toString());
            assertEquals(items, c.failedDeliver(), c.toString());
            Map<String, Long> postsPerItem = run.itemPosts().stream()
                    .collect(Collectors.groupingBy(WebhookReceiver.Received::requestId, Collectors.counting()));
            assertEquals(items, postsPerItem.size());
            postsPerItem.forEach((id, posts) -> assertEquals(1 + maxRetries, posts, "POSTs of item " + id));
            assertEquals(DeliveryService.MAX_IN_FLIGHT_PER_ENDPOINT, receiver.maxInFlight(),
                    "the endpoint was saturated, so POSTs beyond its 16 were deferred to later rounds");
            JsonNode errors = under.client.logs(run.jobId(), "minLevel=Error&maxEntries=1000").get("entries");
            assertEquals(items, errors.size());
            errors.forEach(e -> assertTrue(e.path("reason").asText().startsWith("deliver.retries_exhausted: "
                    + (1 + maxRetries) + " attempts, the last: HTTP 500"), e.toString()));
        }
    }

}
