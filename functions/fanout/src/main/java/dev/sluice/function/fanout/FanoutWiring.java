package dev.sluice.function.fanout;

import dev.sluice.aws.Components;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.execution.ExecutionService;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the fan-out and execution services once per container from the clients Quarkus configures, sharing their
 * adapters; nothing of delivery, inference or API keys.
 */
public class FanoutWiring {
    @Produces
    @Singleton
    Components components(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return Components.forFunction("fanout", dynamo, sqs, s3, null);
    }

    @Produces
    @Singleton
    FanoutService fanoutService(Components components) {
        return components.fanout();
    }

    @Produces
    @Singleton
    ExecutionService executionService(Components components) {
        return components.executions();
    }
}
