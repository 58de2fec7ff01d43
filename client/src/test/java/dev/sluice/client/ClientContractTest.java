package dev.sluice.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java client against the API's document ({@code docs/openapi.yaml}): every call the client makes is an
 * operation of the document, with only the query parameters it declares, and every body it sends is valid against
 * that operation's request schema (networknt json-schema-validator) — so a field renamed in the document, or a
 * client that sends a null or a misspelt field, fails here. A loopback server records what the client sends and
 * answers each call with the error envelope, carrying a request id the client's exception must keep.
 */
class ClientContractTest {
    static final String BASE = "https://sluice.dev/openapi.json";
    static final String PROJECT = "proj_client0001";
    record Sent(String method, String path, String query, String body) {
    }

    static HttpServer server;
    static final List<Sent> sent = new CopyOnWriteArrayList<>();
    static JsonNode document;
    static JsonSchemaFactory schemas;

    @BeforeAll
    static void start() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(root.resolve("docs/openapi.yaml"))) {
            root = root.getParent();
        }
        document = new YAMLMapper().readTree(root.resolve("docs/openapi.yaml").toFile());
        String json = new ObjectMapper().writeValueAsString(document);
        schemas = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.schemaLoaders(l -> l.schemas(Map.of(BASE, json))));
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.createContext("/", exchange -> {
            try (exchange) {
                String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                sent.add(new Sent(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                        exchange.getRequestURI().getRawQuery(), body));
                byte[] out = "{\"error\":{\"code\":\"test.refused\",\"message\":\"recorded\",\"requestId\":\"req_0123456789abcdef0123456789abcdef\"}}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.getResponseHeaders().add("Sluice-Request-Id", "req_0123456789abcdef0123456789abcdef");
                exchange.sendResponseHeaders(409, out.length);
                exchange.getResponseBody().write(out);
            }
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    /** The document's path templates as regexes (a parameter: one path segment without ':'), by template. */
    static Map<String, Pattern> templates() {
        Map<String, Pattern> out = new LinkedHashMap<>();
        for (Iterator<String> it = document.path("paths").fieldNames(); it.hasNext(); ) {
            String t = it.next();
            out.put(t, Pattern.compile(Pattern.quote(t).replaceAll("\\{[A-Za-z]+}", "\\\\E[A-Za-z0-9_-]+\\\\Q")));
        }
        return out;
    }

    static JsonNode follow(String pointer) {
        JsonNode node = document.at(pointer);
        while (node.has("$ref")) {
            node = document.at(node.get("$ref").asText().substring(1));
        }
        return node;
    }

    static String pointerOf(String pointer) {
        JsonNode node = document.at(pointer);
        while (node.has("$ref")) {
            pointer = node.get("$ref").asText().substring(1);
            node = document.at(pointer);
        }
        return pointer;
    }

    @Test
    void everyCallOfTheClient_isAnOperationOfTheDocument_withABodyItsSchemaAccepts() throws Exception {
        SluiceClient c = new SluiceClient("http://127.0.0.1:" + server.getAddress().getPort(), PROJECT, "sk_client_test_key_0001");
        List<Runnable> calls = List.of(
                () -> c.createDataset("photos"), () -> c.dataset("dataset_1"), () -> c.datasets(10, "cursor"),
                () -> c.createDataset("photos", Map.of("team", "vision"), 1_900_000_000_000L),
                () -> c.datasets(10, null, SluiceClient.ListFilter.NONE, true),
                () -> c.createModel("m", List.of("cat", "dog")),
                () -> c.createModel("t", "Tabular", null, null),
                () -> c.createModel("d", "ObjectDetection", List.of("a"), Map.of("inputSize", 416, "scoreThreshold", 0.3)),
                () -> c.model("model_1"), () -> c.models(null, null), () -> c.deleteModel("model_1"),
                () -> c.createDeployment("d", "model_1", null, null, null),
                () -> c.createDeployment("g", "model_1", "GpuPool", 64, 4),
                () -> c.deployment("deploy_1"), () -> c.deployments(5, null), () -> c.deleteDeployment("deploy_1"),
                () -> c.createWebhook("h", "https://example.com/hook", 3, 60_000),
                () -> c.webhook("webhook_1"), () -> c.webhooks(null, null),
                () -> c.updateWebhook("webhook_1", Map.of("spec", Map.of("timeoutMs", 5000))),
                () -> c.rotateWebhookSecret("webhook_1"), () -> c.testWebhook("webhook_1"), () -> c.deleteWebhook("webhook_1"),
                () -> c.createJob("j", "dataset_1", "model_1", "webhook_1", 16),
                () -> c.createJob("j", "dataset_1", "model_1", null, null),
                () -> c.job("batchjob_1"), () -> c.jobs(100, null), () -> c.cancel("batchjob_1"), () -> c.retry("batchjob_1"),
                () -> c.retry("batchjob_1", "retryable", Map.of("batchSize", 8)),
                () -> c.dryRunJob("j", Map.of("datasetId", "dataset_1", "deployment", Map.of("modelId", "model_1"), "limit", 20)),
                () -> c.lineage("batchjob_1", 100, "cursor"),
                () -> c.logs("batchjob_1", "limit=10&minLevel=Error"), () -> c.allLogs("batchjob_1", null).hasNext(),
                () -> c.results("batchjob_1"),
                () -> c.createApiKey("ci"), () -> c.apiKeys(null, null), () -> c.revokeApiKey("apikey_1"),
                () -> c.deadLetters(null, null), () -> c.deadLetter("dlq_1"), () -> c.redrive("dlq_1"),
                () -> c.startExecution(Map.of("model", Map.of("id", "model_1"), "bucket", "b", "sourceFolder", "in",
                        "destinationFolder", "out", "inputFileType", "PARQUET")),
                () -> c.dryRunExecution(Map.of("model", Map.of("id", "model_1"), "bucket", "b", "sourceFolder", "in",
                        "destinationFolder", "out", "limitFiles", 5)),
                () -> c.execution("execution_1"), () -> c.executions(null, null), () -> c.cancelExecution("execution_1"),
                () -> c.executionReport("execution_1", null),
                () -> c.createSecret("data-key-id", "AKIAEXAMPLE"), () -> c.secrets(),
                () -> c.rotateSecret("data-key-id", "AKIAEXAMPLE2"), () -> c.deleteSecret("data-key-id"));
        for (Runnable call : calls) {
            SluiceClient.ApiException e = org.junit.jupiter.api.Assertions.assertThrows(SluiceClient.ApiException.class, call::run);
            assertEquals("test.refused", e.code);
            assertEquals("req_0123456789abcdef0123456789abcdef", e.requestId(), "the request id is kept");
        }
        Map<String, Pattern> templates = templates();
        List<String> problems = new ArrayList<>();
        Set<String> operations = new java.util.TreeSet<>();
        for (Sent s : sent) {
            String template = templates.entrySet().stream().filter(t -> t.getValue().matcher(s.path()).matches())
                    .map(Map.Entry::getKey).findFirst().orElse(null);
            String method = s.method().toLowerCase(Locale.ROOT);
            if (template == null || document.path("paths").path(template).path(method).isMissingNode()) {
                problems.add(s.method() + " " + s.path() + " is no operation of the document");
                continue;
            }
            operations.add(s.method() + " " + template);
            String op = "/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method;
            Set<String> declared = new java.util.HashSet<>();
            for (String at : List.of("/paths/" + template.replace("~", "~0").replace("/", "~1") + "/parameters", op + "/parameters")) {
                for (JsonNode p : document.at(at)) {
                    JsonNode param = p.has("$ref") ? document.at(p.get("$ref").asText().substring(1)) : p;
                    declared.add(param.path("name").asText());
                }
            }
            if (s.query() != null) {
                for (String pair : s.query().split("&")) {
                    String name = pair.split("=", 2)[0];
                    if (!declared.contains(name)) {
                        problems.add(s.method() + " " + template + ": query parameter " + name + " is not declared");
                    }
                }
            }
            if (!document.at(op + "/requestBody").isMissingNode()) {
                String schema = pointerOf(op + "/requestBody/content/application~1json/schema");
                for (ValidationMessage m : schemas.getSchema(SchemaLocation.of(BASE + "#" + schema))
                        .validate(new ObjectMapper().readTree(s.body()))) {
                    problems.add(s.method() + " " + template + " " + s.body() + ": " + m.getMessage());
                }
            }
        }
        assertEquals(List.of(), problems);
        assertTrue(operations.size() >= 30, "the client's calls cover the document: " + operations);
        assertNotNull(follow("/components/schemas/Error"));
    }
}
