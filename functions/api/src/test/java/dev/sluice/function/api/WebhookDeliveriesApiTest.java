package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.core.Json;
import dev.sluice.core.delivery.DeliveryService;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.pipeline.DeliveryMessage;
import dev.sluice.core.webhook.WebhookSignature;
import dev.sluice.testing.HandlerFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /batch/webhooks/{id}/deliveries} and {@code POST …/deliveries/{requestId}:replay} through the REST API,
 * against the emulators (the attempts are in S3Mock) and a real HTTP receiver on 127.0.0.1: the delivery function's
 * attempts are listed newest first and paged; a replay is signed anew with the same request id, recorded, and moves
 * no counter; another webhook or project never finds them.
 */
class WebhookDeliveriesApiTest {
    static final String P = "/v1/projects/" + HandlerFixture.PROJECT;
    static HandlerFixture fixture;
    static ApiRouter router;
    static HttpServer receiver;
    /** What the receiver answers per item index (the body's item.index; events: -1); 200 when absent. */
    static final Map<Long, Integer> answers = new ConcurrentHashMap<>();
    static final List<Map<String, String>> received = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws IOException {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        fixture.services.apiKeys().register("proj_other", "sk_other_project_key_0002");
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Map<String, String> seen = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> seen.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
            seen.put("body", body);
            received.add(seen);
            JsonNode item = Json.tree(body).path("item");
            long index = item.has("index") ? item.get("index").asLong() : -1;
            exchange.sendResponseHeaders(answers.getOrDefault(index, 200), -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterAll
    static void stop() {
        receiver.stop(0);
        fixture.close();
    }

    static ApiRouter.Response call(String method, String path, String key, Map<String, String> query) {
        return router.handle(new ApiRouter.Request(method, path, query, Map.of("Authorization", "Bearer " + key), null));
    }

    static ApiRouter.Response call(String method, String path, Map<String, String> query) {
        return call(method, path, HandlerFixture.API_KEY, query);
    }

    static JsonNode json(ApiRouter.Response r) {
        return Json.tree(r.body());
    }

    static String webhook(String name) {
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
        ApiRouter.Response r = router.handle(new ApiRouter.Request("POST", P + "/batch/webhooks", Map.of(),
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY),
                Json.write(Map.of("name", name, "spec", Map.of("endpoint", endpoint)))));
        assertEquals(201, r.status(), r.body());
        return json(r).path("id").asText();
    }

    /**
     * A webhook created without retries echoes the retries its deliveries use (OpenAPI Retries' defaults), not
     * {@code {}}; an update giving one of them keeps the other's default; a record stored as {@code {}} before the
     * defaults were filled reads the same.
     */
    @Test
    void retriesNotGiven_areEchoedAsTheirEffectiveDefaults() {
        String hook = webhook("defaults");
        JsonNode retries = json(call("GET", P + "/batch/webhooks/" + hook, Map.of())).path("spec").path("retries");
        assertEquals(dev.sluice.core.webhook.Webhook.Retries.DEFAULT_MAX_RETRIES, retries.path("maxRetries").asInt(), retries.toString());
        assertEquals(dev.sluice.core.webhook.Webhook.Retries.DEFAULT_MAX_BACKOFF_MS, retries.path("maxBackoffMs").asLong(), retries.toString());
        ApiRouter.Response updated = router.handle(new ApiRouter.Request("PUT", P + "/batch/webhooks/" + hook, Map.of(),
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY),
                Json.write(Map.of("spec", Map.of("retries", Map.of("maxRetries", 1))))));
        assertEquals(200, updated.status(), updated.body());
        assertEquals(Json.tree("{\"maxRetries\":1,\"maxBackoffMs\":60000}"), json(updated).path("spec").path("retries"));
        assertEquals(new dev.sluice.core.webhook.Webhook.Retries(3, 60_000L),
                Json.read("{}", dev.sluice.core.webhook.Webhook.Retries.class), "a record stored as {}");
    }

    static DeliveryService.Received message(DeliveryMessage m) {
        return new DeliveryService.Received(m, "receipt-unused", 1);
    }

    @Test
    void attemptsAreListedNewestFirst_pagedByCursor_andAReplayIsSignedAnew_recorded_andMovesNoCounter() {
        String hook = webhook("deliveries");
        String secret = fixture.services.webhooks().getWithSecret(HandlerFixture.PROJECT, hook).secret();
        fixture.readyModel();
        Job job = fixture.job("batchjob_deliveries1", 3, hook);
        answers.put(1L, 410);
        List<DeliveryMessage.Payload> payloads = new ArrayList<>();
        for (long i = 0; i < 3; i++) {
            payloads.add(new DeliveryMessage.Payload(i, "https://example.com/" + i + ".jpg",
                    Json.write(Map.of("jobId", job.id(), "item", Map.of("index", i)))));
        }
        fixture.services.delivery().deliver(List.of(message(DeliveryMessage.items(job.id(), "b0", hook, payloads))));
        fixture.services.delivery().deliver(List.of(message(DeliveryMessage.event(job.id(), hook, "job.progress.25",
                "{\"type\":\"job.progress\"}"))));
        ItemCounters before = fixture.services.jobStore().get(job.id()).orElseThrow().status().items();
        assertEquals(2, before.delivered());
        assertEquals(1, before.failedDeliver());

        ApiRouter.Response all = call("GET", P + "/batch/webhooks/" + hook + "/deliveries", Map.of());
        assertEquals(200, all.status(), all.body());
        JsonNode data = json(all).path("data");
        assertEquals(4, data.size(), all.body());
        assertEquals("job.progress", data.get(0).path("event").asText(), "newest first: the event came last; its type, "
                + "as spec.events names it, not its ledger key job.progress.25");
        assertEquals(25, data.get(0).path("progressPercent").asInt(), all.body());
        assertFalse(data.get(0).has("itemIndex"));
        assertFalse(data.get(1).has("progressPercent"), "an item's attempt has no percent");
        assertEquals(DeliveryService.eventRequestId(job.id(), "job.progress.25"), data.get(0).path("requestId").asText());
        JsonNode failed = null;
        for (JsonNode a : data) {
            assertEquals(job.id(), a.path("jobId").asText());
            assertEquals("webhook.delivery", a.path("object").asText());
            assertFalse(a.path("replay").asBoolean());
            if (a.path("itemIndex").asLong(-1) == 1) {
                failed = a;
            }
        }
        assertEquals(410, failed.path("statusCode").asInt());
        assertEquals("HTTP 410", failed.path("error").asText());
        assertEquals(DeliveryService.requestId(job.id(), 1), failed.path("requestId").asText());

        // pages of one, by the cursor, give the same attempts in the same order
        List<String> paged = new ArrayList<>();
        String page = null;
        do {
            Map<String, String> q = page == null ? Map.of("limit", "1") : Map.of("limit", "1", "page", page);
            JsonNode p = json(call("GET", P + "/batch/webhooks/" + hook + "/deliveries", q));
            p.path("data").forEach(a -> paged.add(a.path("id").asText()));
            page = p.path("nextPage").asText(null);
        } while (page != null);
        List<String> ids = new ArrayList<>();
        data.forEach(a -> ids.add(a.path("id").asText()));
        assertEquals(ids, paged);

        // the replay: same request id and body, a fresh time and a valid signature; no counter moves
        answers.put(1L, 200);
        received.clear();
        String requestId = failed.path("requestId").asText();
        ApiRouter.Response replay = call("POST", P + "/batch/webhooks/" + hook + "/deliveries/" + requestId + ":replay",
                Map.of());
        assertEquals(200, replay.status(), replay.body());
        assertTrue(json(replay).path("replay").asBoolean());
        assertEquals(200, json(replay).path("statusCode").asInt());
        assertEquals(1, received.size());
        Map<String, String> sent = received.get(0);
        assertEquals(requestId, sent.get(WebhookSignature.REQUEST_ID_HEADER.toLowerCase(java.util.Locale.ROOT)));
        String time = sent.get(WebhookSignature.REQUEST_TIME_HEADER.toLowerCase(java.util.Locale.ROOT));
        assertTrue(WebhookSignature.verify(secret, sent.get(WebhookSignature.SIGNATURE_HEADER.toLowerCase(java.util.Locale.ROOT)),
                requestId, time, sent.get("body")), "signed with the webhook's secret for the new time");
        assertEquals(payloads.get(1).body(), sent.get("body"));
        assertNotEquals(failed.path("time").asText(), time);
        assertEquals(before, fixture.services.jobStore().get(job.id()).orElseThrow().status().items(),
                "a replay never changes the job's counters");
        JsonNode newest = json(call("GET", P + "/batch/webhooks/" + hook + "/deliveries", Map.of("limit", "1")))
                .path("data").get(0);
        assertTrue(newest.path("replay").asBoolean(), "the replay is recorded, newest");
        assertEquals(requestId, newest.path("requestId").asText());

        // another webhook of the project, another project, a made-up id: the same 404s
        String other = webhook("other");
        ApiRouter.Response elsewhere = call("POST", P + "/batch/webhooks/" + other + "/deliveries/" + requestId + ":replay",
                Map.of());
        assertEquals(404, elsewhere.status());
        assertEquals("delivery.not_found", json(elsewhere).path("error").path("code").asText());
        ApiRouter.Response madeUp = call("POST", P + "/batch/webhooks/" + hook + "/deliveries/nope:replay", Map.of());
        assertEquals("delivery.not_found", json(madeUp).path("error").path("code").asText());
        assertEquals(0, json(call("GET", P + "/batch/webhooks/" + other + "/deliveries", Map.of())).path("data").size());
        ApiRouter.Response theirs = call("GET", "/v1/projects/proj_other/batch/webhooks/" + hook + "/deliveries",
                "sk_other_project_key_0002", Map.of());
        assertEquals("webhook.not_found", json(theirs).path("error").path("code").asText());

        // a cursor of another webhook's listing is refused
        String cursor = json(call("GET", P + "/batch/webhooks/" + hook + "/deliveries", Map.of("limit", "1")))
                .path("nextPage").asText();
        ApiRouter.Response foreign = call("GET", P + "/batch/webhooks/" + other + "/deliveries", Map.of("page", cursor));
        assertEquals(400, foreign.status());
        assertEquals("request.bad_cursor", json(foreign).path("error").path("code").asText());
        assertNull(json(call("GET", P + "/batch/webhooks/" + hook + "/deliveries", Map.of("limit", "1000")))
                .get("nextPage"), "the last page has no nextPage");
    }
}
