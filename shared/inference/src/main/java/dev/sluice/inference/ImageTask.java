package dev.sluice.inference;

import dev.sluice.core.model.Model;

/**
 * What an image model does with its pictures, told once from its {@link Model.Task}: how to decode them (what a
 * reduced decode must still cover) and, through {@link OnnxPredictor}'s exhaustive switch over these kinds, how to
 * predict. Adding a task to {@link Model.Task} breaks the switch in {@link #of} until it is given its own kind here,
 * so a new task can never run as classification by default.
 */
sealed interface ImageTask permits ImageTask.Classification, ImageTask.Detection {
    /** The model's preprocess with its defaults filled in. */
    Model.Preprocess preprocess();

    /** How to decode for this task: a reduced decode must keep the side its preprocessing resizes to. */
    ImageDecoder.Options decoding();

    /** A model that is not an image model (a Tabular one): its items fail with this code, not as a guessed task. */
    final class NotAnImageModel extends Exception {
        NotAnImageModel(Model model) {
            super("predict.not_an_image_model: model " + model.id() + " is a " + model.task()
                    + " model; image items need an ImageClassification or ObjectDetection model");
        }
    }

    static ImageTask of(Model model) throws NotAnImageModel {
        Model.Preprocess p = model.preprocess() == null ? Model.Preprocess.IMAGENET.withDefaults()
                : model.preprocess().withDefaults();
        return switch (model.task()) {
            case ImageClassification -> new Classification(p);
            case ObjectDetection -> new Detection(p);
            case Tabular -> throw new NotAnImageModel(model);
        };
    }

    private static boolean fast(Model.Preprocess p) {
        return Model.Preprocess.DECODE_FAST.equals(p.decode());
    }

    /** Resize the short side to resizeShortSide, centre-crop, normalise, top-k ({@link ClassificationPreprocessor}). */
    record Classification(Model.Preprocess preprocess) implements ImageTask {
        @Override
        public ImageDecoder.Options decoding() {
            return new ImageDecoder.Options(preprocess.applyExifOrientation(), fast(preprocess),
                    preprocess.resizeShortSide(), 0);
        }
    }

    /** YOLOX letterbox to inputSize, boxes in the full-size upright picture's pixels ({@link ObjectDetector}). */
    record Detection(Model.Preprocess preprocess) implements ImageTask {
        @Override
        public ImageDecoder.Options decoding() {
            return new ImageDecoder.Options(preprocess.applyExifOrientation(), fast(preprocess), 0,
                    preprocess.inputSize());
        }

        ObjectDetector detector() {
            return new ObjectDetector(preprocess.inputSize(), preprocess.scoreThreshold(), preprocess.nmsIou());
        }
    }
}
