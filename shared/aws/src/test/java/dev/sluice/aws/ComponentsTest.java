package dev.sluice.aws;

import dev.sluice.core.Clock;
import dev.sluice.core.deadletter.DeadLetterService;
import dev.sluice.core.inference.BatchProcessor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What each function's composition builds, and that a part is built once. No client is needed: making a part makes
 * no request (the clients are null here, so a part that made one would fail).
 */
class ComponentsTest {
    private static SluiceConfig config(boolean allowLocalUrls, SluiceConfig.SecretsBackend secrets) {
        return new SluiceConfig("jobs", "catalog", "keys", "ledger", "logs", "http://q/fanout", "http://q/inference",
                "http://q/delivery", null, "data", allowLocalUrls, List.of(), List.of(), secrets);
    }

    private static Components components(boolean allowLocalUrls, SluiceConfig.SecretsBackend secrets) {
        return new Components(null, null, null, null, config(allowLocalUrls, secrets), Tunables.DEFAULTS,
                Clock.SYSTEM);
    }

    private static Components components() {
        return components(false, SluiceConfig.SecretsBackend.SECRETS_MANAGER);
    }

    /**
     * Issue 27 item 2: an execution's Lambda {@code compute.instance} is one of the inference function's memory sizes
     * the CDK app deploys (it sets SLUICE_LAMBDA_INSTANCES); left out, the app's default size (1,769 MB, one vCPU:
     * the cheapest per photo by the recorded measurement, LambdaSizing.deployedDefault), never a size not deployed.
     */
    @Test
    void lambdaInstances_areTheDeployedMemorySizes_defaultingToTheCdkAppsDefault() {
        assertEquals(List.of("1769"), SluiceConfig.Pools.fromEnv(Map.of()).lambdaInstances());
        assertEquals(List.of("1769"), Components.computeOffer(SluiceConfig.Pools.NONE).instances()
                .get(dev.sluice.execution.Compute.Target.Lambda));
        assertEquals(List.of("3538", "1769"), Components.computeOffer(SluiceConfig.Pools.fromEnv(
                Map.of("SLUICE_LAMBDA_INSTANCES", "3538,1769"))).instances().get(dev.sluice.execution.Compute.Target.Lambda));
        assertEquals("1769", dev.sluice.execution.ExecutionService.DEFAULT_LAMBDA_INSTANCE);
    }

    @Test
    void nothingIsBuiltUntilAskedFor() {
        assertEquals(List.of(), components().built());
    }

    @Test
    void theDeliveryFunction_buildsDeliveryAndItsAdapters_only() {
        Components c = components();
        c.delivery();
        assertEquals(Set.of("jobStore", "catalog", "guard", "webhookClient", "webhooks", "queue", "objects",
                "lifecycle", "eventSink", "delivery", "deliveryLog"), Set.copyOf(c.built()));
    }

    @Test
    void theFanoutFunction_buildsNoDeliveryInferenceOrApiKeys() {
        Components c = components();
        c.fanout();
        c.executions();
        List<String> built = c.built();
        assertTrue(built.containsAll(List.of("fanout", "executions", "secrets")), built.toString());
        for (String absent : List.of("delivery", "webhooks", "webhookClient", "itemFetcher", "apiKeys", "jobs",
                "deadLetters")) {
            assertFalse(built.contains(absent), absent + " was built: " + built);
        }
    }

    @Test
    void theGpuWorker_buildsTheBatchProcessorsParts_only() {
        Components c = components();
        c.batchProcessor(null, true);
        assertEquals(Set.of("jobStore", "catalog", "guard", "itemFetcher", "objects", "queue", "lifecycle", "eventSink"),
                Set.copyOf(c.built()));
    }

    @Test
    void theInferenceFunction_buildsItsProcessorAndFileRunner_noDeliveryFanoutOrApiKeys() {
        Components c = components();
        c.objects(); // the predictor reads models
        c.batchProcessor(null);
        c.executionRunner(null, null, null); // executions assume customers' roles (iamRoleArn) with the project's external id
        assertEquals(Set.of("objects", "jobStore", "catalog", "guard", "itemFetcher", "queue", "lifecycle", "eventSink",
                "executionStore", "models", "folders", "secrets", "executions", "executionRoles"), Set.copyOf(c.built()));
    }

    @Test
    void theSchedulerFunction_buildsNoItemFetcherNorApiKeys() {
        Components c = components();
        c.scheduler();
        List<String> built = c.built();
        assertFalse(built.contains("itemFetcher"), built.toString());
        assertFalse(built.contains("apiKeys"), built.toString());
    }

    @Test
    void deadLetterHandling_usesTheSameFanoutAndDeliveryServices_notSecondCopies() throws Exception {
        Components c = components();
        var fanout = c.fanout();
        var delivery = c.delivery();
        c.scheduler();
        DeadLetterService deadLetters = c.deadLetters();
        assertSame(fanout, field(deadLetters, "fanout"));
        assertSame(delivery, field(deadLetters, "delivery"));
        assertSame(c.jobs(), field(deadLetters, "jobService"));
        assertSame(c.webhookClient(), field(delivery, "client"));
        assertSame(c.webhookClient(), field(c.webhooks(), "client"));
    }

    @Test
    void batchProcessors_shareOneItemFetcher_andTakeTheGatherPatienceOfTheTunables() throws Exception {
        Tunables patient = new Tunables(1024, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2),
                java.time.Duration.ofSeconds(3), java.time.Duration.ofSeconds(4), java.time.Duration.ofMillis(1234));
        Components c = new Components(null, null, null, null, config(false, SluiceConfig.SecretsBackend.FILES),
                patient, Clock.SYSTEM);
        BatchProcessor cpu = c.batchProcessor(null);
        BatchProcessor gpu = c.batchProcessor(null, true);
        assertSame(field(cpu, "fetcher"), field(gpu, "fetcher"));
        assertEquals(1234L, field(cpu, "gatherPatienceMillis"));
        assertEquals(1024L, field(c.itemFetcher(), "maxBytes"));
        assertEquals(java.time.Duration.ofSeconds(2), field(c.itemFetcher(), "deadline"));
    }

    @Test
    void theSecretsBackend_isItsOwnSetting_whateverAllowLocalUrlsSays() {
        assertInstanceOf(SecretsManagerStore.class,
                components(true, SluiceConfig.SecretsBackend.SECRETS_MANAGER).secrets());
        assertInstanceOf(LocalSecrets.class, components(false, SluiceConfig.SecretsBackend.FILES).secrets());
    }

    @Test
    void fromEnvironmentsConfig_defaultsToSecretsManager() {
        Map<String, String> env = new java.util.HashMap<>(config(false, SluiceConfig.SecretsBackend.FILES).toEnv());
        assertEquals("files", env.get("SLUICE_SECRETS_BACKEND"));
        assertEquals(SluiceConfig.SecretsBackend.FILES, SluiceConfig.fromEnv(env).secretsBackend());
        env.remove("SLUICE_SECRETS_BACKEND");
        assertEquals(SluiceConfig.SecretsBackend.SECRETS_MANAGER, SluiceConfig.fromEnv(env).secretsBackend());
        env.put("SLUICE_SECRETS_BACKEND", "local");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> SluiceConfig.fromEnv(env));
        assertTrue(e.getMessage().contains("SLUICE_SECRETS_BACKEND"), e.getMessage());
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        var f = owner.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(owner);
    }
}
