package dev.sluice.function.inference;

import dev.sluice.aws.Components;
import dev.sluice.core.inference.BatchProcessor;
import dev.sluice.execution.ExecutionRunner;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.tables.Tables;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the batch processor and the execution file runner once per container, sharing one ONNX Runtime predictor
 * and one item fetcher. ONNX Runtime and the preprocessing pool get as many threads as the function has vCPUs
 * (Lambda gives one vCPU per 1,769 MB), so sessions are configured for the CPU it really has.
 */
public class InferenceWiring {
    @Produces
    @Singleton
    Components components(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return Components.forFunction("inference", dynamo, sqs, s3, null);
    }

    @Produces
    @Singleton
    OnnxPredictor predictor(Components components) {
        var objects = components.objects();
        return new OnnxPredictor(m -> objects.read(m.objectKey(), m.status().checksum()), Runtime.getRuntime().availableProcessors());
    }

    @Produces
    @Singleton
    BatchProcessor batchProcessor(Components components, OnnxPredictor predictor) {
        return components.batchProcessor(predictor);
    }

    @Produces
    @Singleton
    ExecutionRunner executionRunner(Components components, OnnxPredictor predictor) {
        return components.executionRunner(predictor, predictor, new Tables());
    }
}
