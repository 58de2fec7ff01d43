package dev.sluice.function.api;

import dev.sluice.aws.Components;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.Tunables;
import dev.sluice.core.Clock;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the api function's composition ({@link ApiWiring} → {@link ApiServices#of}) builds: the services behind its
 * routes and the dead-letter drain's parts (its dead-letter routes), never the inference side's item fetcher nor the
 * scheduler. No client is needed: building a part makes no request.
 */
class ApiCompositionTest {
    @Test
    void theApiFunction_buildsItsRoutesServices_andNothingOfInference() {
        SluiceConfig config = new SluiceConfig("jobs", "catalog", "keys", "ledger", "logs", "http://q/fanout",
                "http://q/inference", "http://q/delivery", null, "data", false, List.of(), List.of(),
                SluiceConfig.SecretsBackend.SECRETS_MANAGER);
        Components c = new Components(null, null, null, null, config, Tunables.DEFAULTS, Clock.SYSTEM);
        ApiServices services = ApiServices.of(c);
        List<String> built = c.built();
        assertEquals(Set.of("apiKeys", "catalog", "datasets", "objects", "queue", "models", "deployments", "guard",
                "webhookClient", "webhooks", "jobStore", "lifecycle", "eventSink", "idempotentRequests", "jobs", "executionStore", "folders", "secrets",
                "secretService", "executions", "fanout", "delivery", "deadLetters", "deliveryLog", "webhookDeliveries", "executionRoles", "usage"), Set.copyOf(built), "no itemFetcher, no scheduler");
        assertTrue(services.executions != null && services.deadLetters != null);
    }
}
