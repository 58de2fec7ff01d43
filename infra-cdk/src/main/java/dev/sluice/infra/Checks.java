package dev.sluice.infra;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import software.amazon.awscdk.Stack;

import java.util.List;

/**
 * The cdk-nag findings (AwsSolutions pack) that Sluice accepts, each with the reason. Everything else the pack reports
 * fails synthesis's checks (SluiceStackTest.cdkNag_awsSolutions_hasNoUnsuppressedFinding).
 */
final class Checks {
    private Checks() {
    }

    static void suppressJustified(Stack stack) {
        NagSuppressions.addStackSuppressions(stack, List.of(
                because("AwsSolutions-APIG4", "every /v1 route authenticates the caller's API key in the api function "
                        + "(ApiKeys.authenticate: SHA-256 lookup, constant-time compare, revocation) and scopes it to one "
                        + "project; an API Gateway authorizer would run the same lookup twice per request"),
                because("AwsSolutions-L1", "the functions are pinned to java21: Quarkus' Lambda runtime and SnapStart are "
                        + "built and tested on it (functions/*); CDK's own helper functions (the ECS drain hook) take the "
                        + "runtime CDK chooses"),
                because("AwsSolutions-S1", "server access logs would need a second bucket in every deployment; the data "
                        + "bucket's policy admits only the functions' and GPU workers' roles (DataStore.onlyFor), whose "
                        + "requests are in CloudTrail once the account turns S3 data events on"),
                because("AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole (the functions' own log streams) and the ECS "
                        + "container-instance policy of the GPU hosts are the policies AWS maintains for exactly these "
                        + "roles; everything else is granted per table, queue and bucket"),
                because("AwsSolutions-IAM5", "the wildcards are CDK grants' action families (s3:GetObject*, "
                        + "dynamodb:BatchGet*) and resource suffixes of named resources (a table's /index/*, the data "
                        + "bucket's /*, secrets sluice/* tagged sluice:project, sts:AssumeRole on other accounts' roles for executions' "
                        + "iamRoleArn with this account's roles denied); no data action has Resource '*' "
                        + "(SluiceStackTest.iam_isLeastPrivilege_noWildcardActions_noWildcardDataResources)"),
                // the GPU pool (context gpuPool=true)
                because("AwsSolutions-VPC7", "the pool's VPC holds only GPU workers with no inbound rule; flow logs are "
                        + "billed per GB and left to the account's network policy"),
                because("AwsSolutions-AS3", "the pool scales on the inference-gpu backlog, down to zero; its failures "
                        + "show as DLQ and error alarms (Observability), not as scaling notifications"),
                because("AwsSolutions-EC26", "the GPU hosts' root volume comes from the ECS-optimized AMI and holds no "
                        + "user data (models and items are read into memory); turn on the account's EBS encryption by "
                        + "default to encrypt it"),
                because("AwsSolutions-EC28", "GPU hosts live minutes to hours and scale to zero; detailed monitoring "
                        + "would bill per instance for metrics the queue backlog already gives"),
                because("AwsSolutions-EC29", "GPU hosts are disposable (the auto-scaling group replaces them; a batch "
                        + "in hand is redelivered by SQS), so termination protection would only block scale-in"),
                because("AwsSolutions-ECS2", "the workers' environment holds resource names only (tables, queues, the "
                        + "bucket); no secret is passed in it"),
                because("AwsSolutions-ECS4", "Container Insights bills per metric; the pool's health is its queue "
                        + "backlog and DLQ alarms (Observability); turn it on per cluster when needed"),
                because("AwsSolutions-SNS2", "the ECS drain hook's topic (made by CDK's capacity provider) carries only "
                        + "auto-scaling lifecycle notices, no user data"),
                because("AwsSolutions-SNS3", "the ECS drain hook's topic (made by CDK's capacity provider) is published "
                        + "to by the auto-scaling service only")), true);
    }

    private static NagPackSuppression because(String id, String reason) {
        return NagPackSuppression.builder().id(id).reason(reason).build();
    }
}
