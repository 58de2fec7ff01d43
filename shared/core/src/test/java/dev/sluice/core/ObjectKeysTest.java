package dev.sluice.core;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The data bucket's key layout, written once: each key as documented, and the names derived from content stable. */
class ObjectKeysTest {
    @Test
    void everyKey_asDocumented() {
        assertEquals("datasets/proj_a/dataset_1.ndjson", ObjectKeys.dataset("proj_a", "dataset_1"));
        assertEquals("models/proj_a/model_1.onnx", ObjectKeys.model("proj_a", "model_1"));
        assertEquals("executions/proj_a/exec_1/files/", ObjectKeys.executionFiles("proj_a", "exec_1"));
        assertEquals("executions/proj_a/exec_1/files/000000001000.json",
                ObjectKeys.executionFilesChunk("proj_a", "exec_1", 1000));
        assertEquals("executions/proj_a/exec_1/files/index.json", ObjectKeys.executionFilesIndex("proj_a", "exec_1"));
        assertEquals("results/proj_a/job_1/", ObjectKeys.results("proj_a", "job_1"));
        assertEquals("results/proj_a/job_1/parts/", ObjectKeys.resultsParts("proj_a", "job_1"));
        assertEquals("results/proj_a/job_1/manifest.json", ObjectKeys.manifest("proj_a", "job_1"));
        assertEquals("results/proj_a/job_1/errors.ndjson", ObjectKeys.errors("proj_a", "job_1"));
    }

    @Test
    void resultsPart_namedByItsSetOfBatches_inAnyOrder() {
        assertEquals("results/p/j/parts/b32.ndjson", ObjectKeys.resultsPart("p", "j", List.of("b32")));
        String two = ObjectKeys.resultsPart("p", "j", List.of("b64", "b32"));
        assertEquals(two, ObjectKeys.resultsPart("p", "j", List.of("b32", "b64")), "the same set, the same key");
        assertEquals("results/p/j/parts/b32-" + Ids.sha256Hex("b32,b64").substring(0, 16) + ".ndjson", two);
        assertNotEquals(two, ObjectKeys.resultsPart("p", "j", List.of("b32", "b96")));
    }

    @Test
    void deliveryPayloads_namedByContent_underTheJobsResults() {
        String a = ObjectKeys.deliveryPayloads("p", "j", "b0", "{\"payloads\":[1]}");
        assertTrue(a.startsWith("results/p/j/deliveries/b0-") && a.endsWith(".json"), a);
        assertEquals(a, ObjectKeys.deliveryPayloads("p", "j", "b0", "{\"payloads\":[1]}"));
        assertNotEquals(a, ObjectKeys.deliveryPayloads("p", "j", "b0", "{\"payloads\":[2]}"));
        assertTrue(a.startsWith(ObjectKeys.RESULTS), "expires with the results");
    }
}
