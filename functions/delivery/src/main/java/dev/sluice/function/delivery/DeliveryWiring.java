package dev.sluice.function.delivery;

import dev.sluice.aws.Components;
import dev.sluice.core.delivery.DeliveryService;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the delivery service once per container from the clients Quarkus configures: the job store, webhooks,
 * queue, objects and completion it needs, nothing else.
 */
public class DeliveryWiring {
    @Produces
    @Singleton
    DeliveryService deliveryService(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return Components.forFunction("delivery", dynamo, sqs, s3, null).delivery();
    }
}
