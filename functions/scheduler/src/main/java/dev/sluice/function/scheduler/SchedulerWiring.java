package dev.sluice.function.scheduler;

import dev.sluice.aws.Components;
import dev.sluice.core.schedule.Scheduler;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the scheduler once per container from the clients Quarkus configures. Its dead-letter handling settles
 * through the fan-out and delivery services: one of each, shared (no batch processor, no item fetcher).
 */
public class SchedulerWiring {
    @Produces
    @Singleton
    Scheduler scheduler(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return Components.forFunction("scheduler", dynamo, sqs, s3, null).scheduler();
    }
}
