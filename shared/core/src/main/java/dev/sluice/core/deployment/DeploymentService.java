package dev.sluice.core.deployment;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.core.port.Catalog;

/** Deployments: create, get, list, delete. A job names one by deploymentId, or names a modelId for a temporary one. */
public final class DeploymentService {
    public static final String PREFIX = "deploy";

    private final Catalog catalog;
    private final ModelService models;
    private final Clock clock;

    public DeploymentService(Catalog catalog, ModelService models, Clock clock) {
        this.catalog = catalog;
        this.models = models;
        this.clock = clock;
    }

    public record CreateRequest(String name, String modelId, String target, Integer batchSize, Integer maxConcurrency) {
    }

    public Deployment create(String projectId, CreateRequest request) {
        Validation.required(request, "deployment.body_required", "send a JSON body {name, modelId, target, batchSize?, maxConcurrency?}");
        Validation.name(request.name(), "deployment");
        Validation.required(request.modelId(), "deployment.model_required", "modelId is required");
        Validation.id(request.modelId(), dev.sluice.core.Ids.MODEL, "deployment.bad_model_id", "modelId");
        models.get(projectId, request.modelId());
        DeploymentTarget target = DeploymentTarget.of(request.target());
        Validation.check(target != null, "deployment.bad_target", "target must be " + DeploymentTarget.CHOICES);
        Validation.check(request.batchSize() == null || (request.batchSize() >= 1 && request.batchSize() <= BatchMessage.MAX_BATCH_SIZE),
                "deployment.bad_batch_size", "batchSize must be 1.." + BatchMessage.MAX_BATCH_SIZE);
        Validation.check(request.maxConcurrency() == null || (request.maxConcurrency() >= 1 && request.maxConcurrency() <= 1000),
                "deployment.bad_max_concurrency", "maxConcurrency must be 1..1000");
        long now = clock.nowMillis();
        Deployment d = new Deployment(Ids.newId(PREFIX, now), Deployment.OBJECT, request.name(), projectId,
                request.modelId(), target.wire(), request.batchSize(), request.maxConcurrency(), now, now);
        catalog.put(projectId, d.id(), d);
        return d;
    }

    public Deployment get(String projectId, String id) {
        return catalog.get(projectId, Deployment.KIND, id).orElseThrow(() -> Deployment.KIND.notFound(id));
    }

    /** A deployment of the project that binds the model, if any (reads until one is found, a page at a time). */
    public java.util.Optional<Deployment> firstUsing(String projectId, String modelId) {
        return catalog.list(projectId, Deployment.KIND, PageRequest.of("1", null), d -> modelId.equals(d.modelId()), "")
                .data().stream().findFirst();
    }

    public Page<Deployment> list(String projectId, PageRequest page) {
        return catalog.list(projectId, Deployment.KIND, page);
    }

    public void delete(String projectId, String id) {
        get(projectId, id);
        catalog.delete(projectId, id);
    }
}
