package dev.sluice.core.fakes;

import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.core.job.ItemCounters;
import dev.sluice.core.job.Job;
import dev.sluice.core.job.JobState;
import dev.sluice.core.job.JobStore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fake meets the contract the services' unit tests rely on. */
class FakeJobStoreContractTest extends JobStoreContract {
    @Override
    protected JobStore store() {
        return new FakeJobStore(new FakeClock());
    }

    /**
     * DynamoDB refuses a TransactWriteItems whose actions target one item twice ("no two actions can target the same
     * item", DynamoDB API Reference, TransactWriteItems), so two copies of a commit in one transaction fail, and the
     * fake refuses them too. DynamoDB Local accepts such a transaction, which is why this is not in the contract that
     * the adapter runs on it, and why the services de-duplicate copies themselves ({@code Copies.runOnce}).
     */
    @Test
    void oneTransactionCannotHoldTwoCopiesOfACommitAsOnDynamoDb() {
        JobStore store = store();
        Job job = newJob(store, JobState.Running, 10);
        JobStore.StageCommit c = new JobStore.StageCommit(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0", ItemCounters.ZERO, List.of(), 0, null);

        assertThrows(IllegalArgumentException.class, () -> store.commitTogether(List.of(c, c)));
        assertFalse(store.isCommitted(job.id(), dev.sluice.core.pipeline.Stage.INFERENCE, "b0"));
    }
}
