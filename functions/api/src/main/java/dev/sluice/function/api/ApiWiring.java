package dev.sluice.function.api;

import dev.sluice.aws.Components;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the router once per container from the clients Quarkus configures, with the services of {@link ApiServices}
 * and what they need (no batch processor, no item fetcher).
 */
public class ApiWiring {
    @Produces
    @Singleton
    ApiRouter router(DynamoDbClient dynamo, SqsClient sqs, S3Client s3) {
        // Presigned upload URLs are signed with the function's role credentials, in its region.
        S3Presigner presigner = S3Presigner.create();
        return new ApiRouter(ApiServices.of(Components.forFunction("api", dynamo, sqs, s3, presigner)));
    }
}
