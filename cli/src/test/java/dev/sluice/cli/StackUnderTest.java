package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.StageWrapper;
import dev.sluice.local.StaticFiles;

import java.nio.file.Path;
import java.util.List;

/**
 * A local stack for one test class: the stack (queues and stage wrappers as the test needs them), a client of its
 * project, a server for the test's images, and, when asked, the sample classifier uploaded and Ready.
 */
final class StackUnderTest implements AutoCloseable {
    final LocalStack stack;
    final SluiceClient client;
    final StaticFiles images;
    /** The sample classifier's id, or null when the test brings its own model. */
    final String modelId;
    final LocalJobs jobs;
    /**
     * What the tests' stacks allow: loopback servers (images, webhook receivers) and file:// folders, as
     * SLUICE_ALLOW_LOCAL_URLS=true does, and the executions' test bucket for items and executions.
     */
    static final LocalStack.Access ACCESS = new LocalStack.Access(true, List.of(ExecutionTest.BUCKET),
            List.of(ExecutionTest.BUCKET));

    StackUnderTest(Path imageDir, LocalProvisioner.QueueSettings queues, StageWrapper stages, boolean classifier) {
        this(imageDir, queues, stages, classifier, List.of());
    }

    /**
     * The product's tunables but a 2 min item fetch deadline instead of 20 s: a test that expects every item to
     * arrive must not depend on how busy the machine is (on a busy 2-core machine the tests' own image server can be
     * slower than a real host). SlowHostTest runs with a 10 s deadline.
     */
    static final dev.sluice.aws.Tunables TEST_TUNABLES = new dev.sluice.aws.Tunables(
            dev.sluice.aws.Tunables.DEFAULTS.maxItemBytes(), dev.sluice.aws.Tunables.DEFAULTS.itemConnectTimeout(),
            java.time.Duration.ofMinutes(2), dev.sluice.aws.Tunables.DEFAULTS.webhookConnectTimeout(),
            dev.sluice.aws.Tunables.DEFAULTS.fanoutReserve(), dev.sluice.aws.Tunables.DEFAULTS.gatherPatience());

    /** interceptors: on every AWS SDK client of the stack (to see the requests a test is about). */
    StackUnderTest(Path imageDir, LocalProvisioner.QueueSettings queues, StageWrapper stages, boolean classifier,
                   List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> interceptors) {
        this(imageDir, queues, stages, classifier, interceptors, TEST_TUNABLES);
    }

    StackUnderTest(Path imageDir, LocalProvisioner.QueueSettings queues, StageWrapper stages, boolean classifier,
                   List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> interceptors,
                   dev.sluice.aws.Tunables tunables) {
        System.setProperty("sluice.local.schedulerPeriodMillis", "500");
        this.images = new StaticFiles(imageDir);
        LocalStack started;
        try {
            started = LocalStack.start(new LocalStack.Options(0, null, queues, interceptors, stages, ACCESS)
                    .withTunables(tunables));
        } catch (RuntimeException e) {
            images.close();
            throw e;
        }
        this.stack = started;
        this.client = new SluiceClient(stack.apiUrl(), stack.projectId, stack.apiKey);
        this.modelId = classifier ? LocalJobs.uploadClassifier(client) : null;
        this.jobs = new LocalJobs(client, images, modelId, secret -> { });
    }

    @Override
    public void close() {
        stack.close();
        images.close();
    }
}
