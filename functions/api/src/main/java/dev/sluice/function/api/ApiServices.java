package dev.sluice.function.api;

import dev.sluice.aws.Components;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.dataset.DatasetService;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.deployment.DeploymentService;
import dev.sluice.core.idempotency.IdempotentRequests;
import dev.sluice.core.job.JobService;
import dev.sluice.core.job.JobStore;
import dev.sluice.core.model.ModelService;
import dev.sluice.core.secret.SecretService;
import dev.sluice.core.webhook.WebhookService;
import dev.sluice.execution.ExecutionService;

/**
 * What the API uses, and nothing else: the services behind its routes, and the job store for the logs query. The
 * api function, `sluice local` and the tests take them from one {@link Components}.
 */
public final class ApiServices {
    public final ApiKeys apiKeys;
    public final DatasetService datasets;
    public final ModelService models;
    public final DeploymentService deployments;
    public final WebhookService webhooks;
    public final JobService jobs;
    public final ExecutionService executions;
    public final DeadLetterService deadLetters;
    public final JobStore jobStore;
    public final SecretService secrets;
    public final IdempotentRequests idempotency;
    public final dev.sluice.core.delivery.WebhookDeliveries deliveries;
    public final dev.sluice.core.usage.UsageService usage;
    /**
     * The origin ({@code scheme://host[:port]}) of the data bucket's presigned upload URLs, or null where this
     * composition signs none: the one origin besides the API's that the console may connect to.
     */
    public final String uploadOrigin;

    public ApiServices(ApiKeys apiKeys, DatasetService datasets, ModelService models, DeploymentService deployments,
                       WebhookService webhooks, JobService jobs, ExecutionService executions,
                       DeadLetterService deadLetters, JobStore jobStore, SecretService secrets,
                       IdempotentRequests idempotency, dev.sluice.core.delivery.WebhookDeliveries deliveries,
                       dev.sluice.core.usage.UsageService usage, String uploadOrigin) {
        this.uploadOrigin = uploadOrigin;
        this.deliveries = deliveries;
        this.apiKeys = apiKeys;
        this.datasets = datasets;
        this.models = models;
        this.deployments = deployments;
        this.webhooks = webhooks;
        this.jobs = jobs;
        this.executions = executions;
        this.deadLetters = deadLetters;
        this.jobStore = jobStore;
        this.secrets = secrets;
        this.idempotency = idempotency;
        this.usage = usage;
    }

    /** The API's services, made by (or shared with whoever already asked) c. */
    public static ApiServices of(Components c) {
        return new ApiServices(c.apiKeys(), c.datasets(), c.models(), c.deployments(), c.webhooks(), c.jobs(),
                c.executions(), c.deadLetters(), c.jobStore(), c.secretService(),
                c.idempotentRequests(), c.webhookDeliveries(), c.usage(), uploadOrigin(c.objects()));
    }

    /**
     * Where presigned uploads go, from a URL signed here and now (no request is sent): the same host, scheme and port
     * as every upload URL the API hands out.
     */
    static String uploadOrigin(dev.sluice.core.port.ObjectStore objects) {
        try {
            return ConsoleAssets.originOf(objects.presignPut("console/connect-src", "application/octet-stream",
                    java.time.Duration.ofMinutes(1)).url());
        } catch (RuntimeException noPresigner) {
            return null;
        }
    }
}
