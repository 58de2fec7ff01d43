package dev.sluice.testing;

import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;

import dev.sluice.aws.DynamoJobStore;
import dev.sluice.aws.SluiceConfig;
import dev.sluice.core.fakes.JobStoreContract;
import dev.sluice.core.job.JobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.util.List;

/**
 * The DynamoDB adapter meets the same {@link JobStoreContract} as the core's in-memory {@code FakeJobStore}, on
 * DynamoDB Local: what the services' unit tests assume of the fake holds for the adapter.
 */
class DynamoJobStoreContractTest extends JobStoreContract {
    private static EmulatorStack stack;
    private static LocalProvisioner.Clients clients;
    private static SluiceConfig config;

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        clients = LocalProvisioner.clients(stack, List.of());
        config = LocalProvisioner.provision(clients, "contract-", LocalProvisioner.QueueSettings.TEST, false);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** The tables are shared by the tests; each test's jobs have ids of their own. */
    @Override
    protected JobStore store() {
        return new DynamoJobStore(clients.dynamo(), config);
    }
}
