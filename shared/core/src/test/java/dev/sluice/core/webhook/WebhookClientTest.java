package dev.sluice.core.webhook;


import dev.sluice.core.net.DripServer;
import dev.sluice.core.net.OutboundGuard;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The webhook POST's timeout bounds the whole exchange, the answer's body included. */
class WebhookClientTest {
    /**
     * A receiver that answers its headers at once and its body a byte a second: on old main the POST waited for the
     * whole body (the request timeout covers only the headers), about 28 hours here. Now it ends as a timeout (a
     * retriable answer) and the connection is closed.
     */
    @Test
    @Timeout(120) // a hang guard only
    void slowBodyReceiver_isCutOffAtTheTimeout_andTheConnectionClosed() throws Exception {
        try (DripServer drip = new DripServer()) {
            WebhookClient client = new WebhookClient(Duration.ofSeconds(2), new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true));
            WebhookClient.Response r = client.post(drip.url("/hook"), Map.of(), "{}", Duration.ofSeconds(2));
            assertEquals(0, r.status(), r.describe());
            assertTrue(r.retriable(), "a timeout is retried");
            assertTrue(r.describe().startsWith("timeout: "), r.describe());
            assertTrue(drip.bytesSent() < DripServer.BODY_BYTES);
            assertTrue(drip.awaitHangUp(30), "the client hung up instead of leaving the receiver dripping");

            WebhookClient.Response normal = client.post(drip.url("/fast"), Map.of(), "{}", Duration.ofSeconds(2));
            assertEquals(200, normal.status(), normal.describe());
        }
    }

    /** A pooled connection that the receiver closed while idle, the POST unread: sent again on a new one. */
    @Test
    void aKeptAliveConnectionTheReceiverClosed_isPostedAgainOnANewOne() throws Exception {
        try (dev.sluice.core.net.StaleConnectionServer stale = new dev.sluice.core.net.StaleConnectionServer(6, new byte[0])) {
            WebhookClient client = new WebhookClient(Duration.ofSeconds(2), new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true));
            java.util.List<Thread> first = new java.util.ArrayList<>();
            for (int i = 0; i < 6; i++) {
                first.add(Thread.ofVirtual().start(() -> assertTrue(
                        client.post(stale.url("/hook"), Map.of(), "{}", Duration.ofSeconds(30)).success())));
            }
            for (Thread t : first) {
                t.join();
            }
            WebhookClient.Response again = client.post(stale.url("/hook"), Map.of(), "{}", Duration.ofSeconds(30));
            assertTrue(again.success(), again.describe());
            assertEquals(7, stale.answered.get());
        }
    }
}
