package dev.sluice.function.inference;

import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.SluiceServices;
import dev.sluice.core.Clock;
import dev.sluice.core.execution.ExecutionRunner;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.tables.Tables;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the batch processor and the execution file runner once per container, sharing one ONNX Runtime predictor.
 * ONNX Runtime and the preprocessing pool get as many threads as the function has vCPUs (Lambda gives one vCPU per
 * 1,769 MB), so sessions are configured for the CPU it really has.
 */
public class InferenceWiring {
    @Produces
    @Singleton
    SluiceServices services(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return new SluiceServices(dynamo, sqs, s3, null, SluiceConfig.fromEnv(System.getenv()), Clock.SYSTEM);
    }

    @Produces
    @Singleton
    OnnxPredictor predictor(SluiceServices services) {
        return new OnnxPredictor(m -> services.objects.read(m.objectKey()), Runtime.getRuntime().availableProcessors());
    }

    @Produces
    @Singleton
    BatchProcessor batchProcessor(SluiceServices services, OnnxPredictor predictor) {
        return services.batchProcessor(predictor);
    }

    @Produces
    @Singleton
    ExecutionRunner executionRunner(SluiceServices services, OnnxPredictor predictor) {
        return services.executionRunner(predictor, predictor, new Tables());
    }
}
