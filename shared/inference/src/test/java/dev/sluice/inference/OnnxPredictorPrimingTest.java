package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SnapStart priming (issue 26 item 5): {@link OnnxPredictor#prime} runs one real inference through the whole
 * classification path and leaves no state behind that a restored copy would share with a job.
 */
class OnnxPredictorPrimingTest {
    @Test
    @SuppressWarnings("unchecked")
    void prime_runsTheDummyInference_andLeavesNoSessionTensorOrClockBehind() {
        List<String> modelsRead = new java.util.ArrayList<>();
        try (OnnxPredictor predictor = new OnnxPredictor(m -> {
            modelsRead.add(m.id());
            return Samples.bytes(Samples.classifier());
        }, 2)) {
            OnnxPredictor.Priming first = predictor.prime();
            // make_priming.py: Pillow's draft + resize + crop and Python's ONNX Runtime give class 2 (margin 5.1)
            assertEquals(2, first.top1ClassId());
            assertEquals(0, predictor.openSessions(), "the priming session is closed and forgotten");
            assertEquals(0, predictor.spareTensors(), "no tensor of the priming photo is kept for a job");
            assertEquals(0, predictor.modelBusyNanos(), "the model-busy clock starts at zero for the first job");
            assertEquals(List.of(), modelsRead, "priming reads no stored model");
            assertTrue(TurboJpeg.available(), "the DCT-scaled decoder's natives are loaded");

            // Priming twice (a snapshot taken again after an update) gives the same answer and still leaves nothing.
            assertEquals(2, predictor.prime().top1ClassId());
            assertEquals(0, predictor.openSessions());

            // A job's model after priming: its own session from its own bytes, predicted as without priming.
            var outputs = predictor.predict(LargePhotosTest.classifier("fast"),
                    List.of(new Predictor.Input(0, Samples.bytes(Samples.image("goldfish.jpg")))));
            assertNotNull(outputs.get(0).prediction(), outputs.get(0).reason());
            var classes = (List<java.util.Map<String, Object>>) ((java.util.Map<String, Object>) outputs.get(0).prediction()).get("classes");
            assertEquals("goldfish", classes.get(0).get("label"));
            assertEquals(1, modelsRead.size(), "the job's model was read once, from its own store");
            assertEquals(1, predictor.openSessions());
        }
    }
}
