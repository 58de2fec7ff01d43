package dev.sluice.function.api;

import dev.sluice.core.Json;
import dev.sluice.testing.HandlerFixture;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the API's JSON binding: random and mutated bodies (wrong types, nulls, deep nesting, huge numbers, junk)
 * to every route that takes a body. The API answers each with a success or a 4xx with a stable error code; it never
 * fails with a 500 and never hangs.
 */
class ApiBindingFuzzTest {
    static HandlerFixture fixture;
    static ApiRouter router;
    static final Set<Integer> ALLOWED = Set.of(200, 201, 400, 404, 409, 413);

    @BeforeContainer
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
        fixture.readyModel();
        fixture.job(1, null);
    }

    static final Map<Integer, Integer> STATUSES = new java.util.concurrent.ConcurrentHashMap<>();

    @AfterContainer
    static void stop() {
        fixture.close();
        System.out.println("API binding fuzz, answers by status: " + STATUSES);
        assertTrue(STATUSES.getOrDefault(400, 0) > 0, "bad bodies were refused");
    }

    static final List<String> ROUTES = List.of("POST /batch/datasets", "POST /models", "POST /deployments",
            "POST /batch/webhooks", "POST /batch/jobs", "POST /api-keys", "POST /executions",
            "PUT /batch/webhooks/webhook_fuzz0001", "POST /batch/jobs/" + HandlerFixture.JOB + ":cancel");

    /** JSON values of any shape, a few levels deep. */
    static Arbitrary<Object> value(int depth) {
        Arbitrary<Object> leaf = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(40).map(s -> (Object) s),
                Arbitraries.integers().map(i -> (Object) i), Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.doubles().map(d -> (Object) d), Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.just(null), Arbitraries.of("Lambda", "GpuPool", "UploadedNdjson", "ImageClassification",
                        "https://example.com/hook", HandlerFixture.MODEL, "dataset_nope").map(s -> (Object) s));
        if (depth == 0) {
            return leaf;
        }
        Arbitrary<String> keys = Arbitraries.of("name", "spec", "source", "kind", "modelId", "datasetId", "deployment",
                "target", "batchSize", "endpoint", "retries", "maxRetries", "maxBackoffMs", "timeoutMs", "labels",
                "task", "preprocess", "resultDelivery", "destinations", "webhookId", "startAtTime", "stopAtTime",
                "maxConcurrency", "x");
        return Arbitraries.frequencyOf(Tuple.of(3, leaf),
                Tuple.of(2, Arbitraries.maps(keys, Arbitraries.lazy(() -> value(depth - 1))).ofMaxSize(6).map(m -> (Object) m)),
                Tuple.of(1, Arbitraries.lazy(() -> value(depth - 1)).list().ofMaxSize(4).map(l -> (Object) l)));
    }

    @Provide
    Arbitrary<String> body() {
        Arbitrary<String> json = value(4).map(Json::write);
        Arbitrary<String> junk = Arbitraries.strings().ofMaxLength(200);
        Arbitrary<String> deep = Arbitraries.integers().between(500, 50_000).map(d -> "[".repeat(d) + "]".repeat(d));
        Arbitrary<String> truncated = json.map(s -> s.substring(0, s.length() / 2));
        Arbitrary<String> bigNumber = Arbitraries.strings().numeric().ofMinLength(30).ofMaxLength(400)
                .map(n -> "{\"name\":\"n\",\"batchSize\":" + n + ",\"spec\":{\"batchSize\":" + n + "}}");
        return Arbitraries.frequencyOf(Tuple.of(6, json), Tuple.of(2, junk), Tuple.of(1, deep), Tuple.of(1, truncated),
                Tuple.of(1, bigNumber));
    }

    @Property(tries = 400)
    void everyBody_getsAnAnswerWithAStableCode_neverA500(@ForAll("body") String body,
                                                         @ForAll("route") String route) {
        String[] parts = route.split(" ", 2);
        ApiRouter.Response response = router.handle(new ApiRouter.Request(parts[0],
                "/v1/projects/" + HandlerFixture.PROJECT + parts[1], Map.of(),
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY), body));
        STATUSES.merge(response.status(), 1, Integer::sum);
        assertTrue(ALLOWED.contains(response.status()), route + " " + body + " -> " + response);
        if (response.status() >= 400) {
            String code = Json.tree(response.body()).path("error").path("code").asText();
            assertTrue(code.matches("[a-z_]+\\.[a-z0-9_]+"), "a stable code: " + response.body());
        }
    }

    @Provide
    Arbitrary<String> route() {
        return Arbitraries.of(ROUTES);
    }
}
