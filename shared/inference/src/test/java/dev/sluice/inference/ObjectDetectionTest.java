package dev.sluice.inference;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** YOLOX-Nano on the darknet dog photo: a dog, a bicycle and a car, in original-image pixels. */
class ObjectDetectionTest {
    @SuppressWarnings("unchecked")
    @Test
    void dogPhoto_yieldsDogBicycleAndCar_withBoxesInsideTheImage() throws Exception {
        List<String> labels = Files.readAllLines(Samples.root().resolve("models/coco.names")).stream()
                .filter(l -> !l.isBlank()).toList();
        Model model = new Model("model_yolox", Model.OBJECT, "yolox", "proj_test", Model.Task.ObjectDetection,
                new Model.Source(Model.Source.UPLOADED_ONNX), Model.Preprocess.YOLOX, labels,
                new Model.Status(Model.State.Ready, null, "sum", 1L, null), 0, 0);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.root().resolve("models/yolox_nano.onnx")), 2)) {
            List<Predictor.Output> out = predictor.predict(model, List.of(
                    new Predictor.Input(0, Samples.bytes(Samples.image("dog.jpg"))),
                    new Predictor.Input(1, "not an image".getBytes())));
            List<Map<String, Object>> objects = (List<Map<String, Object>>) ((Map<String, Object>) out.get(0).prediction()).get("objects");
            Set<String> found = objects.stream().map(o -> (String) o.get("label")).collect(Collectors.toSet());
            assertTrue(found.containsAll(Set.of("dog", "bicycle", "car")), found.toString());
            for (Map<String, Object> o : objects) {
                Map<String, Object> box = (Map<String, Object>) o.get("box");
                assertTrue(((Number) box.get("x2")).doubleValue() <= 768 + 40 && ((Number) box.get("y2")).doubleValue() <= 576 + 40,
                        "boxes are in the 768x576 photo's pixels: " + o);
                assertTrue(((Number) o.get("score")).doubleValue() > 0.3);
            }
            assertEquals(Predictor.PROCESS, out.get(1).failedStage());
        }
    }
}
