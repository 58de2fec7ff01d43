package dev.sluice.function.inference;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.BatchMessage;
import dev.sluice.inference.OnnxPredictor;
import io.quarkus.amazon.lambda.runtime.AmazonLambdaMapperRecorder;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SnapStart priming of the inference function (issue 26 item 5). The function is deployed with SnapStart on published
 * versions (CDK and template.yaml); Quarkus starts the application inside Lambda's init phase
 * ({@code quarkus.snapstart.full-warmup}, on by default with the Lambda extension), so what runs here at startup is in
 * the snapshot and no restored environment pays for it again
 * (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-best-practices.html).
 *
 * <p>When Lambda initialises for a snapshot ({@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start}) or for provisioned
 * concurrency, startup primes: the collaborators of the handler are built (the AWS SDK clients, the batch processor,
 * the item fetcher's HTTP client), ONNX Runtime's library, environment and a session run one inference over a bundled
 * classifier and photo ({@link OnnxPredictor#prime}), and Jackson reads and writes the event shapes (Quarkus' own
 * mapper for the SQS event and the batch response, Sluice's for the batch message), and the AWS SDK makes one DynamoDB
 * and one S3 request for records no user can have ({@link #warmAws}). Priming touches no user data. On-demand initialisation does not prime: that work would only move from the first event into
 * the init that the same request waits for.
 *
 * <p>Uniqueness after restore (https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html): nothing unique
 * is taken at init here. Ids and secrets come from {@code SecureRandom}, which the Java managed runtime keeps unique
 * across restores; retry jitter uses {@link dev.sluice.core.Jitter}, not {@code ThreadLocalRandom} (whose per-thread
 * seeds derive from a seeder in the snapshot, so restored copies would draw the same delays); the connections the
 * warm-up opened are not relied on (the SDK retries on a new one); the first invocation after a restore still logs {@code cold_start=true}.
 * {@link #afterRestore} only counts and logs the restore.
 */
@Singleton
public class SnapStartPriming implements Resource {
    private static final Logger LOG = LoggerFactory.getLogger(SnapStartPriming.class);
    /** Lambda's reserved variable naming how this environment is initialised (on-demand, provisioned-concurrency, snap-start). */
    static final String INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE";

    /** The values of {@link #INITIALIZATION_TYPE} (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html). */
    enum Initialization {
        ON_DEMAND, PROVISIONED_CONCURRENCY, SNAP_START;

        /** @param value the variable's value; absent or unknown (not on Lambda) is on-demand */
        static Initialization of(String value) {
            if (value == null) {
                return ON_DEMAND;
            }
            return switch (value) {
                case "snap-start" -> SNAP_START;
                case "provisioned-concurrency" -> PROVISIONED_CONCURRENCY;
                default -> ON_DEMAND;
            };
        }

        /** Initialisation no request waits for: priming there is free for the first events. */
        boolean primes() {
            return this != ON_DEMAND;
        }
    }

    /** A minimal SQS event of one batch, the shape Lambda's SQS event source delivers (no user data). */
    static final String PRIMING_EVENT = """
            {"Records":[{"messageId":"priming","receiptHandle":"priming","body":%s,
            "attributes":{"ApproximateReceiveCount":"1","SentTimestamp":"0"},"messageAttributes":{},
            "md5OfBody":"","eventSource":"aws:sqs","eventSourceARN":"arn:aws:sqs:us-east-1:000000000000:priming",
            "awsRegion":"us-east-1"}]}""";

    private final OnnxPredictor predictor;
    private final dev.sluice.aws.Components components;
    private final AtomicInteger restores = new AtomicInteger();
    private volatile OnnxPredictor.Priming primed;

    /**
     * @param components the AWS adapters, warmed with two requests for records no user can have (null: no AWS warm-up)
     * @param handler    injected so the handler and its collaborators are built at init
     */
    @Inject
    public SnapStartPriming(OnnxPredictor predictor, dev.sluice.aws.Components components, InferenceHandler handler) {
        this.predictor = predictor;
        this.components = components;
    }

    void onStart(@Observes StartupEvent event) {
        start(Initialization.of(System.getenv(INITIALIZATION_TYPE)));
    }

    /** Primes when {@code initialization} does, and registers the runtime hooks (a no-op outside a CRaC runtime). */
    void start(Initialization initialization) {
        if (initialization.primes()) {
            prime();
        }
        Core.getGlobalContext().register(this);
    }

    /** The priming work; @return the priming inference's result */
    OnnxPredictor.Priming prime() {
        long start = System.nanoTime();
        OnnxPredictor.Priming inference = predictor.prime();
        String body = Json.write(new BatchMessage("priming", "b0", List.of()));
        Json.read(body, BatchMessage.class);
        var mapper = AmazonLambdaMapperRecorder.objectMapper; // Quarkus' reader of the handler's events (null in tests)
        if (mapper != null) {
            try {
                mapper.readValue(PRIMING_EVENT.formatted(mapper.writeValueAsString(body)), SQSEvent.class);
                mapper.writeValueAsString(SQSBatchResponse.builder().withBatchItemFailures(List.of(
                        new SQSBatchResponse.BatchItemFailure("priming"))).build());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("priming the event mapper failed", e);
            }
        }
        if (components != null) {
            warmAws();
        }
        primed = inference;
        LOG.info("primed for the snapshot in {} ms (ONNX Runtime and decode {} ms)",
                Math.round((System.nanoTime() - start) / 1e6), Math.round(inference.millis()));
        return inference;
    }

    /**
     * One DynamoDB GetItem and one S3 HeadObject through the function's own adapters (SDK marshalling, signing, the
     * HTTP client, retries, the usage interceptor): of a job id and an object key that no project can have (ids are
     * hex after their prefix; project data lives under {@code proj_…/}), so no user data is read. A connection opened
     * here may be stale after a restore: the SDK retries such a request on a new one. Failures are logged, not fatal:
     * the function works unprimed.
     */
    private void warmAws() {
        try {
            components.jobStore().get("batchjob_priming");
        } catch (RuntimeException e) {
            LOG.info("priming DynamoDB: {}", e.toString());
        }
        try {
            components.objects().head("priming/absent");
        } catch (RuntimeException e) {
            LOG.info("priming S3: {}", e.toString()); // 403 without s3:ListBucket: the request still went through the SDK
        }
    }

    /** The priming done at init, or null when this initialisation did not prime. */
    OnnxPredictor.Priming primed() {
        return primed;
    }

    int restores() {
        return restores.get();
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        // priming already ran at startup, inside init; nothing is open that the snapshot must not hold
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        LOG.info("restored from a SnapStart snapshot ({} restore{} of this environment)", restores.incrementAndGet(),
                restores.get() == 1 ? "" : "s");
    }
}
