package dev.sluice.function.scheduler;

import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.SluiceServices;
import dev.sluice.core.Clock;
import dev.sluice.core.schedule.Scheduler;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Builds the scheduler once per container from the clients Quarkus configures. */
public class SchedulerWiring {
    @Produces
    @Singleton
    Scheduler scheduler(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return new SluiceServices(dynamo, sqs, s3, null, SluiceConfig.fromEnv(System.getenv()), Clock.SYSTEM).scheduler();
    }
}
