package dev.sluice.function.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalEventSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile requests through the api handler, as API Gateway delivers them (text or base64 bodies): the body limit is
 * counted in bytes, ids, names, endpoints and times are checked for length, characters and range (400 with a code,
 * never a 500), the HTTP/TLS stack's own refusals never reach a user as 500, and every error code is dotted words
 * without spaces.
 */
class ApiValidationTest {
    static HandlerFixture fixture;
    static ApiHandler handler;
    static final String BASE = "/v1/projects/" + HandlerFixture.PROJECT;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        handler = new ApiHandler(new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE));
        fixture.readyModel();
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static APIGatewayV2HTTPResponse call(String method, String path, String body, boolean base64) {
        APIGatewayV2HTTPEvent event = new APIGatewayV2HTTPEvent();
        event.setVersion("2.0");
        event.setRawPath(path);
        event.setHeaders(Map.of("authorization", "Bearer " + HandlerFixture.API_KEY));
        event.setBody(body);
        event.setIsBase64Encoded(base64);
        APIGatewayV2HTTPEvent.RequestContext context = new APIGatewayV2HTTPEvent.RequestContext();
        APIGatewayV2HTTPEvent.RequestContext.Http http = new APIGatewayV2HTTPEvent.RequestContext.Http();
        http.setMethod(method);
        context.setHttp(http);
        event.setRequestContext(context);
        return handler.handleRequest(event, new LocalEventSource.LocalContext(30_000));
    }

    static APIGatewayV2HTTPResponse post(String collection, String json) {
        return call("POST", BASE + collection, json, false);
    }

    static String code(APIGatewayV2HTTPResponse r) {
        return Json.tree(r.getBody()).path("error").path("code").asText();
    }

    static void assertRefused(int status, String code, APIGatewayV2HTTPResponse r) {
        assertEquals(status, r.getStatusCode(), r.getBody());
        assertEquals(code, code(r), r.getBody());
        assertTrue(Validation.CODE.matcher(code(r)).matches(), code(r));
        assertTrue(r.getBody().length() < 2_000, "an error does not echo a huge input: " + r.getBody().length());
    }

    @Test
    void theBodyLimit_countsBytes_textOrBase64() {
        // 600,000 two-byte characters: 1.2 MB of UTF-8, fewer than 1 Mi characters (the old check counted these)
        String json = "{\"name\":\"" + "é".repeat(600_000) + "\"}";
        assertTrue(json.length() < ApiRouter.MAX_BODY_BYTES);
        assertRefused(413, "request.too_large", post("/batch/datasets", json));
        String base64 = Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
        assertRefused(413, "request.too_large", call("POST", BASE + "/batch/datasets", base64, true));
        // just under the limit in bytes: not refused for its size, but read (and refused for its unknown field)
        String fits = "{\"name\":\"d\",\"source\":{\"kind\":\"UploadedNdjson\"},\"x\":\"" + "é".repeat(500_000) + "\"}";
        APIGatewayV2HTTPResponse read = call("POST", BASE + "/batch/datasets",
                Base64.getEncoder().encodeToString(fits.getBytes(StandardCharsets.UTF_8)), true);
        assertRefused(400, "request.unknown_field", read);
    }

    @Test
    void invalidUtf8_isRefused_notReplaced() {
        byte[] bytes = "{\"name\":\"caf\u00e9\",\"source\":{\"kind\":\"UploadedNdjson\"}}".getBytes(StandardCharsets.UTF_8);
        byte[] broken = new byte[bytes.length + 2];
        System.arraycopy(bytes, 0, broken, 0, 12);
        broken[12] = (byte) 0xC3; // a lead byte followed by ASCII: malformed
        broken[13] = (byte) 0x28;
        System.arraycopy(bytes, 12, broken, 14, bytes.length - 12);
        assertRefused(400, "request.invalid_utf8", call("POST", BASE + "/batch/datasets",
                Base64.getEncoder().encodeToString(broken), true));
        assertRefused(400, "request.bad_base64", call("POST", BASE + "/batch/datasets", "not base64!", true));
        // a lone surrogate written as a JSON escape is text no UTF-8 can carry: refused in a name
        assertRefused(400, "dataset.bad_name", post("/batch/datasets",
                "{\"name\":\"a\\ud800b\",\"source\":{\"kind\":\"UploadedNdjson\"}}"));
    }

    @Test
    void idsNamesEndpointsAndTimes_areCheckedForLengthCharactersAndRange() {
        String model = HandlerFixture.MODEL;
        String longId = "dataset_" + "a".repeat(5_000);
        Map<String, Object[]> cases = new LinkedHashMap<>();
        cases.put("a 5,008-character datasetId", new Object[]{"job.bad_dataset_id", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", longId, "deployment", Map.of("modelId", model)))))});
        cases.put("a datasetId of another kind", new Object[]{"job.bad_dataset_id", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", "model_abc", "deployment", Map.of("modelId", model)))))});
        cases.put("a modelId with a slash", new Object[]{"job.bad_model_id", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", "dataset_x", "deployment", Map.of("modelId", "model_../x")))))});
        cases.put("a 5,000-character webhookId", new Object[]{"job.bad_webhook_id", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", "dataset_x", "deployment", Map.of("modelId", model),
                        "resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId",
                                "webhook_" + "b".repeat(5_000))))))))});
        cases.put("startAtTime 9e18", new Object[]{"request.wrong_type", post("/batch/jobs",
                "{\"name\":\"j\",\"spec\":{\"datasetId\":\"dataset_x\",\"deployment\":{\"modelId\":\"" + model
                        + "\"},\"startAtTime\":9e18}}")});
        cases.put("startAtTime 9000000000000000000", new Object[]{"job.bad_times", post("/batch/jobs",
                "{\"name\":\"j\",\"spec\":{\"datasetId\":\"dataset_x\",\"deployment\":{\"modelId\":\"" + model
                        + "\"},\"startAtTime\":9000000000000000000}}")});
        cases.put("a negative stopAtTime", new Object[]{"job.bad_times", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", "dataset_x", "deployment", Map.of("modelId", model),
                        "stopAtTime", -5))))});
        cases.put("a start after the default cutoff, without a stop", new Object[]{"job.bad_times", post("/batch/jobs",
                Json.write(Map.of("name", "j", "spec", Map.of("datasetId", "dataset_x", "deployment", Map.of("modelId", model),
                        "startAtTime", System.currentTimeMillis() + 30L * 24 * 3600 * 1000))))});
        cases.put("a bell in a name", new Object[]{"dataset.bad_name", post("/batch/datasets",
                Json.write(Map.of("name", "ring\u0007", "source", Map.of("kind", "UploadedNdjson"))))});
        cases.put("a newline in a name", new Object[]{"webhook.bad_name", post("/batch/webhooks",
                Json.write(Map.of("name", "a\nb", "spec", Map.of("endpoint", "https://example.com/h"))))});
        cases.put("a C1 control in a key name", new Object[]{"key.bad_name", post("/api-keys",
                Json.write(Map.of("name", "k\u0085")))});
        cases.put("a 100k-character endpoint", new Object[]{"webhook.endpoint_too_long", post("/batch/webhooks",
                Json.write(Map.of("name", "w", "spec", Map.of("endpoint", "https://example.com/" + "p".repeat(100_000)))))});
        cases.put("a control character in an endpoint", new Object[]{"webhook.bad_endpoint", post("/batch/webhooks",
                Json.write(Map.of("name", "w", "spec", Map.of("endpoint", "https://example.com/\u0000"))))});
        cases.put("a long modelId in a deployment", new Object[]{"deployment.bad_model_id", post("/deployments",
                Json.write(Map.of("name", "d", "modelId", "model_" + "c".repeat(3_000))))});
        cases.put("a long model id in an execution", new Object[]{"execution.bad_model_id", post("/executions",
                Json.write(Map.of("model", Map.of("id", "model_" + "c".repeat(3_000)), "bucket", "b",
                        "sourceFolder", "in", "destinationFolder", "out")))});
        cases.forEach((what, c) -> {
            APIGatewayV2HTTPResponse r = (APIGatewayV2HTTPResponse) c[1];
            assertEquals(400, r.getStatusCode(), what + ": " + r.getBody());
            assertRefused(400, (String) c[0], r);
        });
    }

    @Test
    void notFound_codesHaveNoSpaces() {
        assertRefused(404, "api_key.not_found", call("DELETE", BASE + "/api-keys/apikey_nope", null, false));
        assertRefused(404, "dead_letter.not_found", call("GET", BASE + "/dead-letters/dlq_nope", null, false));
    }

    @Test
    void theKeyCreateResponse_carriesTheKeyButNoHash() {
        APIGatewayV2HTTPResponse created = post("/api-keys", "{\"name\":\"ci\"}");
        assertEquals(201, created.getStatusCode(), created.getBody());
        JsonNode key = Json.tree(created.getBody());
        assertTrue(key.path("key").asText().startsWith("sk_"));
        assertFalse(key.has("keyHash"), created.getBody());
        assertFalse(created.getBody().contains(dev.sluice.core.Ids.sha256Hex(key.path("key").asText())),
                "the SHA-256 of the key appears nowhere in the response");
    }

    @Test
    void aTrailingDotHost_isNormalised_andTestingItAnswers200() throws Exception {
        // a TCP server that accepts and hangs up: the TLS handshake fails, which is an answer, not an exception
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        server.accept().close();
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            String endpoint = "https://localhost.:" + server.getLocalPort() + "/hook";
            APIGatewayV2HTTPResponse created = post("/batch/webhooks", Json.write(Map.of("name", "dot",
                    "spec", Map.of("endpoint", endpoint, "timeoutMs", 2000, "retries", Map.of("maxRetries", 0)))));
            assertEquals(201, created.getStatusCode(), created.getBody());
            JsonNode webhook = Json.tree(created.getBody());
            assertEquals("https://localhost:" + server.getLocalPort() + "/hook", webhook.path("spec").path("endpoint").asText(),
                    "the same name without its trailing dot");
            APIGatewayV2HTTPResponse tested = call("POST", BASE + "/batch/webhooks/" + webhook.get("id").asText() + ":test",
                    null, false);
            assertEquals(200, tested.getStatusCode(), tested.getBody());
            assertEquals("Failed", Json.tree(tested.getBody()).path("status").asText(), tested.getBody());
        }
        // an endpoint stored before normalising (written as it came) is normalised when it is POSTed to
        var client = new dev.sluice.core.webhook.WebhookClient(java.time.Duration.ofSeconds(1),
                new dev.sluice.core.net.OutboundGuard(dev.sluice.core.net.OutboundGuard.Resolver.SYSTEM, true));
        var response = client.post("https://localhost.:1/hook", Map.of(), "{}", java.time.Duration.ofSeconds(1));
        // nothing listens on port 1: a failed attempt (refused, or timed out on a busy machine), not an exception
        assertEquals(0, response.status(), response.describe());
        assertFalse(response.describe().contains("trailing dot"), response.describe());
    }

    /** Every code written in the sources where an API error or a refusal is made is dotted words without spaces. */
    @Test
    void everyErrorCodeInTheSources_isDottedWordsWithoutSpaces() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(root.resolve("shared/core"))) {
            root = root.getParent();
        }
        List<Pattern> codeSites = List.of(
                Pattern.compile("SluiceException\\.(?:invalid|conflict)\\(\\s*\"([^\"]*)\""),
                Pattern.compile("new SluiceException\\([^,]+,\\s*\"([^\"]*)\""),
                Pattern.compile("new Refusal\\(\\s*\"([^\"]*)\""),
                Pattern.compile("Validation\\.(?:check|required|id|time)\\((?:[^;\"]|\"(?:[^\"\\\\]|\\\\.)*\")*?,\\s*\"([^\"]*)\"\\s*,"));
        Pattern notFound = Pattern.compile("notFound\\(\\s*\"([^\"]*)\"");
        Pattern named = Pattern.compile("Validation\\.name\\([^;]*?,\\s*\"([^\"]*)\"\\)");
        // the not-found codes of the kinds of ids: new IdKind<>(prefix, object, "noun", type) → <noun_>.not_found
        Pattern kind = Pattern.compile("new (?:dev\\.sluice\\.core\\.)?IdKind<>\\([^,]*,[^,]*,\\s*\"([^\"]*)\"");
        List<String> seen = new ArrayList<>();
        List<String> bad = new ArrayList<>();
        List<Path> sources;
        try (Stream<Path> files = Files.walk(root)) {
            sources = files.filter(p -> p.toString().replace('\\', '/').contains("/src/main/java/")
                    && p.toString().endsWith(".java") && !p.toString().contains("/target/")).toList();
        }
        for (Path file : sources) {
            String text = Files.readString(file);
            for (Pattern site : codeSites) {
                Matcher m = site.matcher(text);
                while (m.find()) {
                    seen.add(m.group(1));
                    if (!Validation.CODE.matcher(m.group(1)).matches()) {
                        bad.add(file.getFileName() + ": \"" + m.group(1) + "\"");
                    }
                }
            }
            Matcher m = notFound.matcher(text);
            while (m.find()) {
                String code = SluiceException.notFound(m.group(1), "x").code();
                seen.add(code);
                if (!Validation.CODE.matcher(code).matches()) {
                    bad.add(file.getFileName() + ": notFound(\"" + m.group(1) + "\") → " + code);
                }
            }
            m = kind.matcher(text);
            while (m.find()) {
                String code = new dev.sluice.core.IdKind<>("x", "x", m.group(1), Object.class).notFound("x_1").code();
                seen.add(code);
                if (!Validation.CODE.matcher(code).matches()) {
                    bad.add(file.getFileName() + ": IdKind(\"" + m.group(1) + "\") → " + code);
                }
            }
            m = named.matcher(text);
            while (m.find()) {
                String code = m.group(1) + ".name_required";
                seen.add(code);
                if (!Validation.CODE.matcher(code).matches()) {
                    bad.add(file.getFileName() + ": Validation.name(…, \"" + m.group(1) + "\")");
                }
            }
        }
        assertTrue(seen.size() > 100, "the scan finds the codes (" + seen.size() + "): " + seen);
        assertTrue(seen.contains("api_key.not_found") && seen.contains("job.bad_dataset_id")
                && seen.contains("url.address_refused"), seen.toString());
        assertEquals(List.of(), bad, "codes with spaces or capitals");
    }
}
