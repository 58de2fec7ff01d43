package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.dataset.Dataset;
import dev.sluice.core.model.Model;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model whose ONNX file fixes its number of class scores is refused when its labels are not as many: the upload
 * makes it Failed (model.labels_mismatch) instead of Ready, and a job naming it is a 400 with that code. On old main
 * the model became Ready and every item of a job failed with predict.labels_mismatch.
 */
class ModelLabelsTest {
    static HandlerFixture fixture;
    static ApiRouter router;
    static final String BASE = "/v1/projects/" + HandlerFixture.PROJECT;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        router = new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static ApiRouter.Response call(String method, String path, Object body) {
        return router.handle(new ApiRouter.Request(method, BASE + path, Map.of(),
                Map.of("Authorization", "Bearer " + HandlerFixture.API_KEY), body == null ? null : Json.write(body)));
    }

    /** Creates an ImageClassification model with the labels and uploads the sample classifier (1,000 classes). */
    static JsonNode uploaded(List<String> labels) {
        ApiRouter.Response created = call("POST", "/models", Map.of("name", "m", "task", "ImageClassification",
                "source", Map.of("kind", "UploadedOnnx"), "labels", labels));
        assertEquals(201, created.status(), created.body());
        String id = Json.tree(created.body()).get("id").asText();
        fixture.clients.s3().putObject(b -> b.bucket(fixture.config.bucket())
                        .key(dev.sluice.core.ObjectKeys.model(HandlerFixture.PROJECT, id)),
                RequestBody.fromBytes(Samples.bytes(Samples.classifier())));
        ApiRouter.Response got = call("GET", "/models/" + id, null);
        assertEquals(200, got.status(), got.body());
        return Json.tree(got.body());
    }

    @Test
    void threeLabels_forAThousandClassScores_isRefused_andAJobNamingItIs400() {
        JsonNode model = uploaded(List.of("cat", "dog", "fish"));
        assertEquals(Model.State.Failed.name(), model.path("status").path("overview").asText(), model.toString());
        assertTrue(model.path("status").path("reason").asText().startsWith("model.labels_mismatch: the model's first"
                + " output is [N, 1000], 1000 class scores, but it has 3 labels"), model.toString());

        // a Ready dataset (counting an upload runs asynchronously)
        String datasetId = "dataset_labels0001";
        fixture.services.catalog().put(HandlerFixture.PROJECT, datasetId, new Dataset(datasetId, Dataset.OBJECT, "photos",
                HandlerFixture.PROJECT, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                new Dataset.Status(Dataset.State.Ready, null, 1L, 40L, "etag", null), 1, 1));
        ApiRouter.Response job = call("POST", "/batch/jobs", Map.of("name", "j", "spec", Map.of("datasetId", datasetId,
                "deployment", Map.of("modelId", model.get("id").asText()))));
        assertEquals(400, job.status(), job.body());
        assertEquals("model.labels_mismatch", Json.tree(job.body()).path("error").path("code").asText());
    }

    @Test
    void aLabelPerClassScore_isReady() {
        JsonNode model = uploaded(Samples.imagenetLabels());
        assertEquals(Model.State.Ready.name(), model.path("status").path("overview").asText(), model.toString());
    }
}
