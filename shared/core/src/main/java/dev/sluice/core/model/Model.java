package dev.sluice.core.model;

import dev.sluice.core.port.ObjectStore.UploadUrl;

import java.util.List;

/** An ONNX model with the task, preprocessing parameters and labels that turn its outputs into predictions. */
public record Model(String id, String object, String name, String projectId, Task task, Source source,
                    Preprocess preprocess, List<String> labels, Status status, long createTime, long updateTime)
        implements dev.sluice.core.port.Catalog.Swept {
    /** A model still Uploading this long after it was created is deleted by the scheduler. */
    public static final java.time.Duration UPLOAD_ABANDONED_AFTER = java.time.Duration.ofHours(24);

    /** While Uploading, when the scheduler deletes the model if its file never came (epoch ms); else null. */
    @Override
    public Long sweepTime() {
        return status.overview() == State.Uploading ? createTime + UPLOAD_ABANDONED_AFTER.toMillis() : null;
    }

    public static final String OBJECT = "model";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Model> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.MODEL, OBJECT, "model",
            Model.class);

    /** Tabular: rows of numeric features in, one float tensor [rows, features]; used by executions. */
    public enum Task { ImageClassification, ObjectDetection, Tabular }

    public enum State { Uploading, Ready, Failed }

    public record Source(String kind) {
        public static final String UPLOADED_ONNX = "UploadedOnnx";
    }

    /**
     * ImageClassification (torchvision standard by default): resize the short side, centre-crop, scale to [0,1],
     * normalise with mean/std, NCHW float32, top-k. ObjectDetection (YOLOX): letterbox to inputSize, keep objects
     * scoring above scoreThreshold, class-wise NMS at nmsIou. Both: applyExifOrientation (default true) turns a photo
     * upright by its EXIF orientation tag before preprocessing (detection boxes are then in the upright picture's
     * pixels); decode {@code "fast"} (default: a JPEG at least twice the resize target is decoded reduced by 2, 4 or
     * 8, DCT-scaled as Pillow's {@code draft()}, keeping the short side at or above the target; smaller images are
     * decoded exactly) or {@code "exact"} (always the full-size pixels, bit-identical to Pillow's reference).
     */
    public record Preprocess(Integer resizeShortSide, Integer cropSize, List<Double> mean, List<Double> std,
                             Integer topK, Integer inputSize, Double scoreThreshold, Double nmsIou,
                             Boolean applyExifOrientation, String decode) {
        public static final String DECODE_EXACT = "exact";
        public static final String DECODE_FAST = "fast";
        public static final Preprocess IMAGENET = new Preprocess(256, 224, List.of(0.485, 0.456, 0.406),
                List.of(0.229, 0.224, 0.225), 5, null, null, null);
        public static final Preprocess YOLOX = new Preprocess(null, null, null, null, null, 416, 0.3, 0.45);

        public Preprocess(Integer resizeShortSide, Integer cropSize, List<Double> mean, List<Double> std, Integer topK) {
            this(resizeShortSide, cropSize, mean, std, topK, null, null, null);
        }

        public Preprocess(Integer resizeShortSide, Integer cropSize, List<Double> mean, List<Double> std, Integer topK,
                          Integer inputSize, Double scoreThreshold, Double nmsIou) {
            this(resizeShortSide, cropSize, mean, std, topK, inputSize, scoreThreshold, nmsIou, null, null);
        }

        public Preprocess withDefaults() {
            return new Preprocess(resizeShortSide == null ? IMAGENET.resizeShortSide : resizeShortSide,
                    cropSize == null ? IMAGENET.cropSize : cropSize, mean == null ? IMAGENET.mean : mean,
                    std == null ? IMAGENET.std : std, topK == null ? IMAGENET.topK : topK,
                    inputSize == null ? YOLOX.inputSize : inputSize,
                    scoreThreshold == null ? YOLOX.scoreThreshold : scoreThreshold,
                    nmsIou == null ? YOLOX.nmsIou : nmsIou,
                    applyExifOrientation == null ? Boolean.TRUE : applyExifOrientation,
                    decode == null ? DECODE_FAST : decode);
        }
    }

    public record Status(State overview, String reason, String checksum, Long sizeBytes, UploadStatus source) {
    }

    public record UploadStatus(UploadUrl uploadUrl) {
    }

    public String objectKey() {
        return dev.sluice.core.ObjectKeys.model(projectId, id);
    }

    public Model withStatus(Status newStatus, long now) {
        return new Model(id, object, name, projectId, task, source, preprocess, labels, newStatus, createTime, now);
    }
}
