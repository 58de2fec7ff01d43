package dev.sluice.core.model;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Models: created with a presigned upload URL for the ONNX file; Ready once the file is there. */
public final class ModelService {
    public static final long MAX_MODEL_BYTES = 200L * 1024 * 1024;
    /** The code of an item, row or file whose model's file is not the one validated (its ETag, the build, differs). */
    public static final String CHANGED = "model.changed";
    private static final Duration UPLOAD_URL_TTL = Duration.ofMinutes(60);

    private final Catalog catalog;
    private final ObjectStore objects;
    private final Clock clock;

    public ModelService(Catalog catalog, ObjectStore objects, Clock clock) {
        this.catalog = catalog;
        this.objects = objects;
        this.clock = clock;
    }

    public record CreateRequest(String name, Model.Task task, Model.Source source, Model.Preprocess preprocess,
                                List<String> labels) {
    }

    public Model create(String projectId, CreateRequest request) {
        Validation.required(request, "model.body_required", "send a JSON body {name, task, source, labels}");
        Validation.name(request.name(), "model");
        Validation.check(request.task() != null, "model.task_required",
                "task must be \"ImageClassification\", \"ObjectDetection\" or \"Tabular\"");
        Validation.check(request.source() != null && Model.Source.UPLOADED_ONNX.equals(request.source().kind()),
                "model.bad_source", "source.kind must be \"UploadedOnnx\"");
        Validation.check(request.task() == Model.Task.Tabular && request.labels() == null
                        || request.labels() != null && !request.labels().isEmpty() && request.labels().size() <= 100_000,
                "model.labels_required", "labels must list the class names, one per output index (optional for"
                        + " Tabular models: with labels, the argmax of an output as wide as the labels is named)");
        Model.Preprocess p = (request.preprocess() == null ? Model.Preprocess.IMAGENET : request.preprocess())
                .withDefaults();
        Validation.check(p.cropSize() >= 8 && p.cropSize() <= 2048 && p.resizeShortSide() >= p.cropSize()
                        && p.resizeShortSide() <= 4096, "model.bad_preprocess",
                "preprocess needs 8 <= cropSize <= resizeShortSide <= 4096");
        // finite numbers only (1e309 parses as infinity), and a std that is a normal double: dividing by a subnormal
        // one (1e-310) turns every pixel into infinity (issue 20 item 8)
        Validation.check(p.mean().size() == 3 && p.std().size() == 3
                        && p.mean().stream().allMatch(m -> m != null && Double.isFinite(m))
                        && p.std().stream().allMatch(s -> s != null && Double.isFinite(s) && s >= Double.MIN_NORMAL),
                "model.bad_preprocess", "preprocess.mean and preprocess.std need 3 finite values each, std > 0 and"
                        + " at least " + Double.MIN_NORMAL);
        Validation.check(p.topK() >= 1 && p.topK() <= 100, "model.bad_preprocess", "preprocess.topK must be 1..100");
        Validation.check(p.inputSize() >= 32 && p.inputSize() <= 4096 && p.inputSize() % 32 == 0, "model.bad_preprocess",
                "preprocess.inputSize must be a multiple of 32 from 32 to 4096");
        Validation.check(p.scoreThreshold() > 0 && p.scoreThreshold() < 1 && p.nmsIou() > 0 && p.nmsIou() < 1,
                "model.bad_preprocess", "preprocess.scoreThreshold and preprocess.nmsIou must be between 0 and 1");
        Validation.check(Model.Preprocess.DECODE_EXACT.equals(p.decode()) || Model.Preprocess.DECODE_FAST.equals(p.decode()),
                "model.bad_preprocess", "preprocess.decode must be \"exact\" or \"fast\"");
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.MODEL, now);
        Model draft = new Model(id, Model.OBJECT, request.name(), projectId, request.task(), request.source(), p,
                request.labels(), null, now, now);
        ObjectStore.UploadUrl url = objects.presignPut(draft.objectKey(), "application/octet-stream", UPLOAD_URL_TTL);
        Model model = draft.withStatus(new Model.Status(Model.State.Uploading, null, null, null,
                new Model.UploadStatus(url)), now);
        catalog.put(projectId, id, model);
        return model;
    }

    /** The model; an upload that has arrived since the last look makes it Ready (checksum = the object's ETag). */
    public Model get(String projectId, String id) {
        Model model = catalog.get(projectId, Model.KIND, id).orElseThrow(() -> Model.KIND.notFound(id));
        if (model.status().overview() == Model.State.Uploading) {
            Optional<ObjectStore.ObjectInfo> info = objects.head(model.objectKey());
            if (info.isPresent()) {
                String problem = info.get().sizeBytes() > MAX_MODEL_BYTES
                        ? "model.too_large: the ONNX file is over 200 MiB" : labelsProblem(model, info.get());
                Model.Status status = problem != null
                        ? new Model.Status(Model.State.Failed, problem, null, info.get().sizeBytes(), null)
                        : new Model.Status(Model.State.Ready, null, info.get().etag(), info.get().sizeBytes(), null);
                long now = clock.nowMillis();
                // only an Uploading model becomes Ready or Failed: a delete or another look that came first stays
                model = catalog.update(projectId, Model.KIND, id, stored -> stored.status().overview() == Model.State.Uploading
                        ? stored.withStatus(status, now) : stored).orElseThrow(() -> Model.KIND.notFound(id));
            }
        }
        return model;
    }

    private String labelsProblem(Model model, ObjectStore.ObjectInfo info) {
        if (model.task() == Model.Task.Tabular) {
            return null;
        }
        return OnnxOutputShape.firstOutput(offset -> objects.open(model.objectKey(), offset, info.etag()))
                .map(dims -> labelsProblem(model.task(), dims, model.labels())).orElse(null);
    }

    /**
     * Why a model's labels cannot name its outputs, or null when they can or the shape does not tell: the first
     * output of an ImageClassification model is [N, classes] and of an ObjectDetection model (YOLOX) [N, anchors,
     * 5 + classes] (what the predictor reads); when that last dimension is fixed in the ONNX file and the classes it
     * gives are not as many as the labels, the model is refused (code {@code model.labels_mismatch}). A symbolic
     * (dynamic) last dimension is checked item by item at prediction ({@code predict.labels_mismatch}).
     */
    public static String labelsProblem(Model.Task task, List<Long> dims, List<String> labels) {
        if (labels == null || labels.isEmpty() || dims.isEmpty() || dims.get(dims.size() - 1) < 0) {
            return null;
        }
        long last = dims.get(dims.size() - 1);
        long classes = switch (task) {
            case ImageClassification -> dims.size() == 2 ? last : -1;
            case ObjectDetection -> dims.size() == 3 && last > 5 ? last - 5 : -1;
            case Tabular -> -1;
        };
        if (classes < 0 || classes == labels.size()) {
            return null;
        }
        String shape = dims.stream().map(d -> d < 0 ? "N" : Long.toString(d)).collect(java.util.stream.Collectors
                .joining(", ", "[", "]"));
        return "model.labels_mismatch: the model's first output is " + shape + ", " + classes + " class scores, but"
                + " it has " + labels.size() + " labels; create the model again with one label per class";
    }

    /** What {@link #CHANGED} says of a model. */
    public static String changedMessage(Model model) {
        return "model " + model.id() + "'s file is no longer the build " + model.status().checksum()
                + " that was validated; create the model again to run another file";
    }

    /**
     * Deletes the model and its ONNX file's record, unless a deployment or a job that has not ended uses it (409
     * {@code model.in_use} naming it: issue 24 item 6; the next job on that deployment would fail otherwise). A model
     * deleted before its file arrived gets an empty file at its key, so its upload URL (single-use, If-None-Match)
     * can no longer store anything.
     */
    public void delete(String projectId, String id, dev.sluice.core.InUse users) {
        Model model = get(projectId, id);
        users.refuse(projectId, id, "model");
        if (objects.head(model.objectKey()).isEmpty()) {
            objects.put(model.objectKey(), new byte[0], "application/octet-stream");
        }
        catalog.delete(projectId, id);
    }

    /**
     * The scheduler's look at a model that is due ({@link Model#sweepTime}): a file that came is checked now (the
     * model becomes Ready or Failed, as on a GET); one still Uploading {@link Model#UPLOAD_ABANDONED_AFTER} after its
     * create is deleted (its record: no file ever came).
     *
     * @return true when the model was deleted
     */
    public boolean sweep(String projectId, String id) {
        java.util.Optional<Model> model = catalog.get(projectId, Model.KIND, id);
        if (model.isEmpty() || model.get().sweepTime() == null || model.get().sweepTime() > clock.nowMillis()) {
            return false;
        }
        if (get(projectId, id).status().overview() != Model.State.Uploading) {
            return false;
        }
        // still Uploading after the look: no file is at its key, and its upload URL lapsed long ago (UPLOAD_URL_TTL), so
        // nothing can arrive there any more; only the record goes (the scheduler may read models/, not write there)
        catalog.delete(projectId, id);
        return true;
    }

    public Page<Model> list(String projectId, PageRequest page) {
        return catalog.list(projectId, Model.KIND, page);
    }
}
