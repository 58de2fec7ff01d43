package dev.sluice.aws;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.deployment.Deployment;
import dev.sluice.core.deployment.DeploymentService;
import dev.sluice.core.net.OutboundGuard;
import dev.sluice.core.webhook.Webhook;
import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20 items 6 and 7 on DynamoDB Local: a read-modify-write of a catalog record racing another keeps both changes
 * (conditional writes), and a listing's cursor continues only its own listing (kind and project).
 */
class CatalogRacesAndCursorsTest {
    private static EmulatorStack stack;
    private static DynamoCatalog catalog;
    private static WebhookService webhooks;

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        LocalProvisioner.Clients clients = LocalProvisioner.clients(stack, List.of());
        SluiceConfig config = LocalProvisioner.provision(clients, "races-", LocalProvisioner.QueueSettings.TEST, true);
        catalog = new DynamoCatalog(clients.dynamo(), config);
        webhooks = new WebhookService(catalog, Clock.SYSTEM, true, new WebhookClient(Duration.ofSeconds(1),
                new OutboundGuard(OutboundGuard.Resolver.SYSTEM, true)));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aSecretRotationRacingAPutOfTheWebhook_isNeverLost() throws Exception {
        Webhook created = webhooks.create("proj_race", new WebhookService.CreateRequest("race",
                new Webhook.Spec("http://127.0.0.1:9/hook", null, null)));
        int rounds = 40;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < rounds; round++) {
                CyclicBarrier together = new CyclicBarrier(2);
                String name = "race-" + round;
                String endpoint = "http://127.0.0.1:9/hook" + round;
                Future<Webhook> rotated = pool.submit(() -> {
                    together.await();
                    return webhooks.rotateSecret("proj_race", created.id());
                });
                Future<Webhook> updated = pool.submit(() -> {
                    together.await();
                    return webhooks.update("proj_race", created.id(), new WebhookService.UpdateRequest(name,
                            new Webhook.Spec(endpoint, null, 5000L)));
                });
                String secret = rotated.get().secret();
                updated.get();
                Webhook stored = webhooks.getWithSecret("proj_race", created.id());
                assertEquals(secret, stored.secret(), "round " + round + ": the rotated secret is the one deliveries sign with");
                assertEquals(name, stored.name(), "round " + round + ": the PUT's name is kept");
                assertEquals(endpoint, stored.spec().endpoint(), "round " + round);
                assertEquals(5000L, stored.spec().timeoutMs(), "round " + round);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anUpdateAfterADelete_doesNotBringTheRecordBack() {
        Webhook created = webhooks.create("proj_race", new WebhookService.CreateRequest("gone",
                new Webhook.Spec("http://127.0.0.1:9/hook", null, null)));
        webhooks.delete("proj_race", created.id(), dev.sluice.core.InUse.NOTHING);
        assertTrue(catalog.update("proj_race", Webhook.KIND, created.id(), w -> w).isEmpty());
        assertThrows(SluiceException.class, () -> webhooks.rotateSecret("proj_race", created.id()));
        assertTrue(catalog.get("proj_race", Webhook.KIND, created.id()).isEmpty());
    }

    @Test
    void aCursor_continuesOnlyItsOwnListing_andACraftedOneIs400BadCursor() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Webhook w = webhooks.create("proj_a", new WebhookService.CreateRequest("w" + i,
                    new Webhook.Spec("http://127.0.0.1:9/h", null, null)));
            ids.add(w.id());
            long now = System.currentTimeMillis();
            String deployment = Ids.newId(DeploymentService.PREFIX, now);
            catalog.put("proj_a", deployment, new Deployment(deployment, Deployment.OBJECT, "d" + i,
                    "proj_a", "model_x", "lambda", null, null, now, now));
        }
        webhooks.create("proj_b", new WebhookService.CreateRequest("b", new Webhook.Spec("http://127.0.0.1:9/h", null, null)));
        Page<Webhook> first = webhooks.list("proj_a", PageRequest.of("2", null));
        assertNotNull(first.nextPage());
        // the real cursor goes on, and the pages together are the listing
        List<String> seen = new ArrayList<>(first.data().stream().map(Webhook::id).toList());
        String cursor = first.nextPage();
        while (cursor != null) {
            Page<Webhook> page = webhooks.list("proj_a", PageRequest.of("2", cursor));
            page.data().forEach(w -> seen.add(w.id()));
            cursor = page.nextPage();
        }
        assertEquals(ids.size(), seen.size(), "every webhook once: " + seen);
        assertTrue(seen.containsAll(ids));

        String real = first.nextPage();
        String anchor = PageRequest.decode(real).split("\\|")[3];
        List<String> crafted = new ArrayList<>(List.of(
                "not-a-cursor", "%%%", "", "AAAA", "____", PageRequest.encode("n:" + anchor),
                PageRequest.encode("n:-9223372036854775808"), PageRequest.encode("p:zzzz"), PageRequest.encode("n:"),
                PageRequest.encode("v1|x|n|" + anchor), PageRequest.encode("v1||n|" + anchor),
                PageRequest.encode("v2" + PageRequest.decode(real).substring(2)),
                PageRequest.encode(PageRequest.decode(real).replace("|n|", "|q|")),
                PageRequest.encode(PageRequest.decode(real).replace("proj_a", "proj_b")),
                PageRequest.encode(PageRequest.decode(real).replace(anchor, "deploy_zzzz")),
                PageRequest.encode(PageRequest.decode(real).replace(anchor, "webhook_")),
                PageRequest.encode(PageRequest.decode(real).replace(anchor, "webhook_~")),
                PageRequest.encode(PageRequest.decode(real).replace(anchor, "webhook_a b")),
                PageRequest.encode(PageRequest.decode(real) + "|extra"),
                java.util.Base64.getUrlEncoder().encodeToString(new byte[]{(byte) 0xff, (byte) 0xfe, 0x7c}),
                "A".repeat(5000)));
        crafted.removeIf(String::isEmpty); // an empty page is a first page
        for (String page : crafted) {
            SluiceException e = assertThrows(SluiceException.class,
                    () -> webhooks.list("proj_a", PageRequest.of("2", page)), page);
            assertEquals(PageRequest.BAD_CURSOR, e.code(), page);
        }
        // a real cursor of one listing is refused by every other: another kind, another project
        SluiceException otherKind = assertThrows(SluiceException.class,
                () -> catalog.list("proj_a", Deployment.KIND, PageRequest.of("2", real)));
        assertEquals(PageRequest.BAD_CURSOR, otherKind.code());
        SluiceException otherProject = assertThrows(SluiceException.class,
                () -> webhooks.list("proj_b", PageRequest.of("2", real)));
        assertEquals(PageRequest.BAD_CURSOR, otherProject.code());
    }
}
