package dev.sluice.function.fanout;

import dev.sluice.aws.SluiceConfig;
import dev.sluice.aws.SluiceServices;
import dev.sluice.core.Clock;
import dev.sluice.core.execution.ExecutionService;
import dev.sluice.core.fanout.FanoutService;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Builds the fan-out and execution services once per container from the clients Quarkus configures. */
public class FanoutWiring {
    @Produces
    @Singleton
    SluiceServices services(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        return new SluiceServices(dynamo, sqs, s3, null, SluiceConfig.fromEnv(System.getenv()), Clock.SYSTEM);
    }

    @Produces
    @Singleton
    FanoutService fanoutService(SluiceServices services) {
        return services.fanout();
    }

    @Produces
    @Singleton
    ExecutionService executionService(SluiceServices services) {
        return services.executions;
    }
}
