package dev.sluice.infra;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import io.github.cdklabs.cdknag.RegexAppliesTo;
import software.amazon.awscdk.CfnElement;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.lambda.Alias;
import software.constructs.IConstruct;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The cdk-nag findings (AwsSolutions pack) that Sluice accepts, each on the resource it concerns and with the reason:
 * no suppression is stack-wide, and a wildcard finding (IAM5) is suppressed only for the exact resource or action it
 * names, so a new wildcard anywhere fails synthesis's checks (SecureDefaultsTest.cdkNag_awsSolutions_…,
 * LeastPrivilegeTest.cdkNagSuppressions_areResourceScoped_andWildcardsNamed).
 */
final class Checks {
    private Checks() {
    }

    static final String LAMBDA_BASIC = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";

    static void suppressJustified(Stack stack, SluiceStack.Settings settings, DataStore data, Functions functions,
                                  HttpApiFront api, GpuPool gpu) {
        NagSuppressions.addResourceSuppressions(api.httpApi(), List.of(because("AwsSolutions-APIG4", "every /v1 route "
                + "authenticates the caller's API key in the api function (ApiKeys.authenticate: SHA-256 lookup, "
                + "constant-time compare, revocation) and scopes it to one project; the console's files (GET /, GET "
                + "/console/...) are public static pages; an API Gateway authorizer would run the same lookup twice per "
                + "request")), true);
        NagSuppressions.addResourceSuppressions(data.bucket, List.of(because("AwsSolutions-S1", "server access logs "
                + "would need a second bucket in every deployment; the data bucket's policy admits only the functions' "
                + "and GPU workers' roles (DataStore.onlyFor), whose requests are in CloudTrail once the account turns "
                + "S3 data events on")));
        Map<Alias, Access.Role> roles = Map.of(functions.api, Access.Role.API, functions.fanout, Access.Role.FANOUT,
                functions.inference, Access.Role.INFERENCE, functions.delivery, Access.Role.DELIVERY,
                functions.scheduler, Access.Role.SCHEDULER);
        roles.forEach((fn, role) -> {
            NagSuppressions.addResourceSuppressions(fn.getVersion().getLambda(), List.of(because("AwsSolutions-L1",
                    "the functions are pinned to java21: Quarkus' Lambda runtime and SnapStart are built and tested on "
                    + "it (functions/*)")));
            NagSuppressions.addResourceSuppressions(fn.getRole(), List.of(
                    because("AwsSolutions-IAM4", "AWSLambdaBasicExecutionRole is the policy AWS maintains for a "
                            + "function's own log streams; everything else is granted per table, queue and bucket",
                            LAMBDA_BASIC),
                    wildcards(stack, settings, data, role)), true);
        });
        if (gpu != null) {
            gpuPool(stack, settings, data, gpu);
        }
    }

    /**
     * IAM5 for one role: exactly the wildcards its grants name. Each is a suffix of a named resource, never a
     * wildcard action: the data bucket's prefixes ({@link Access#prefixes}), the tables' indexes (a Query names the
     * index, and the grant is on the table's), the users' buckets named at deploy time (their keys are the users'),
     * projects' secrets under {@code sluice/} tagged {@code sluice:project}, {@code sts:AssumeRole} on other accounts'
     * roles for executions' iamRoleArn (this account's are denied), and ListSecrets, which has no resource-level
     * permissions (the code keeps only the calling project's).
     */
    private static NagPackSuppression wildcards(Stack stack, SluiceStack.Settings settings, DataStore data, Access.Role role) {
        List<Object> appliesTo = new ArrayList<>();
        String bucket = "<" + logicalId(stack, data.bucket) + ".Arn>";
        Access.prefixes(role).keySet().forEach(prefix -> appliesTo.add("Resource::" + bucket + "/" + prefix + "*"));
        for (Access.Table t : List.of(Access.Table.JOBS, Access.Table.CATALOG)) { // the tables with indexes
            if (Access.tables(role).containsKey(t)) {
                appliesTo.add("Resource::<" + logicalId(stack, data.table(t)) + ".Arn>/index/*");
            }
        }
        settings.executionBuckets().forEach(b -> appliesTo.add("Resource::arn:aws:s3:::" + b + "/*"));
        if (role == Access.Role.INFERENCE || role == Access.Role.GPU_WORKER || role == Access.Role.TASK_WORKER) {
            settings.itemBuckets().forEach(b -> appliesTo.add("Resource::arn:aws:s3:::" + b + "/*"));
        }
        if (role == Access.Role.API || role == Access.Role.FANOUT || role == Access.Role.INFERENCE
                || role == Access.Role.TASK_WORKER) {
            appliesTo.add("Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:sluice/*");
            appliesTo.add("Resource::arn:<AWS::Partition>:iam::*:role/*");
        }
        if (role == Access.Role.API) {
            appliesTo.add("Resource::*"); // secretsmanager:ListSecrets
        }
        return NagPackSuppression.builder().id("AwsSolutions-IAM5").appliesTo(appliesTo).reason("each wildcard is a "
                + "suffix of a named resource: the data bucket's prefixes this role uses (Access.prefixes), the tables' "
                + "indexes, the users' buckets named at deploy time, projects' secrets sluice/* tagged sluice:project, "
                + "other accounts' roles for executions' iamRoleArn (this account's denied), and ListSecrets (no "
                + "resource-level permissions); no wildcard action").build();
    }

    /** The GPU pool (context gpuPool=true): its own resources and the ones CDK's ECS constructs make for it. */
    private static void gpuPool(Stack stack, SluiceStack.Settings settings, DataStore data, GpuPool gpu) {
        NagSuppressions.addResourceSuppressions(gpu.vpc, List.of(because("AwsSolutions-VPC7", "the pool's VPC holds "
                + "only GPU workers with no inbound rule; flow logs are billed per GB and left to the account's network "
                + "policy")));
        NagSuppressions.addResourceSuppressions(gpu.cluster, List.of(because("AwsSolutions-ECS4", "Container Insights "
                + "bills per metric; the pool's health is its queue backlog and DLQ alarms (Observability); turn it on "
                + "per cluster when needed")));
        hosts(gpu.instances, "GpuPoolInstancesASG", "GPU hosts");
        hosts(gpu.spotInstances, "GpuPoolSpotInstancesASG", "spot GPU hosts"); // issue 27: the same findings, the same reasons
        imagePulledAndNoSecrets(gpu.task);
        imagePulledAndNoSecrets(gpu.spotTask);
        NagSuppressions.addResourceSuppressions(gpu.taskRole, List.of(wildcards(stack, settings, data,
                Access.Role.GPU_WORKER), wildcards(stack, settings, data, Access.Role.TASK_WORKER)), true);
        NagSuppressions.addResourceSuppressions(gpu.spotTaskRole, List.of(wildcards(stack, settings, data,
                Access.Role.TASK_WORKER)), true);
    }

    /**
     * An EC2 capacity provider's hosts (on demand or spot): the auto-scaling group, its instances' role, and what CDK
     * makes for its ECS drain hook (the function, the lifecycle hook's topic).
     *
     * @param asgLogicalPrefix the group's logical id before CDK's hash (the drain hook's grant names it)
     */
    private static void hosts(software.amazon.awscdk.services.autoscaling.AutoScalingGroup instances,
                              String asgLogicalPrefix, String what) {
        NagSuppressions.addResourceSuppressions(instances, List.of(
                because("AwsSolutions-AS3", "the " + what + " scale on their queue's backlog, down to zero; their "
                        + "failures show as DLQ and error alarms (Observability), not as scaling notifications"),
                because("AwsSolutions-EC26", "the " + what + "' root volume comes from the ECS-optimized AMI and holds "
                        + "no user data (models and items are read into memory); turn on the account's EBS encryption "
                        + "by default to encrypt it")));
        NagSuppressions.addResourceSuppressions(instances.getRole(), List.of(because("AwsSolutions-IAM5", "the ECS "
                + "agent's permissions as CDK grants them to a capacity provider's instances (ecs:Submit* state "
                + "changes; ecs:DiscoverPollEndpoint and the like have no resource-level permissions)",
                "Action::ecs:Submit*", "Resource::*")), true);
        // CDK's drain hook: a function that lets tasks finish before the auto-scaling group ends their host
        IConstruct hook = instances.getNode().findChild("DrainECSHook").getNode().findChild("Function");
        NagSuppressions.addResourceSuppressions(hook, List.of(
                because("AwsSolutions-L1", "CDK's ECS drain hook takes the runtime CDK chooses"),
                because("AwsSolutions-IAM4", "the drain hook's own log streams: the policy AWS maintains for them",
                        LAMBDA_BASIC),
                NagPackSuppression.builder().id("AwsSolutions-IAM5").reason("CDK's drain hook describes instances and "
                        + "container instances (no resource-level permissions) and completes lifecycle actions of the "
                        + what + "' own auto-scaling group only").appliesTo(List.of("Resource::*",
                        RegexAppliesTo.builder().regex("/^Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:"
                                + "<AWS::AccountId>:autoScalingGroup:\\*:autoScalingGroupName\\/<" + asgLogicalPrefix
                                + "[0-9A-F]{8}>$/g").build())).build()), true);
        NagSuppressions.addResourceSuppressions(instances.getNode().findChild("LifecycleHookDrainHook")
                .getNode().findChild("Topic"), List.of(because("AwsSolutions-SNS3", "the ECS drain hook's topic (made "
                + "by CDK's capacity provider) is published to by the auto-scaling service only, and carries "
                + "lifecycle notices, no user data")));
    }

    /** A pool's task definition: no secret in its environment; its execution role pulls the one image. */
    private static void imagePulledAndNoSecrets(software.amazon.awscdk.services.ecs.TaskDefinition task) {
        NagSuppressions.addResourceSuppressions(task, List.of(because("AwsSolutions-ECS2", "the workers' "
                + "environment holds resource names only (tables, queues, the bucket); no secret is passed in it")));
        NagSuppressions.addResourceSuppressions(task.obtainExecutionRole(), List.of(because("AwsSolutions-IAM5",
                "ecr:GetAuthorizationToken has no resource-level permissions; the image is pulled from its one "
                        + "repository only", "Resource::*")), true);
    }

    /**
     * The CPU pool (context cpuPool=true): the same findings as the GPU pool's Fargate-side resources, the same
     * reasons; {@code ownVpc} is the VPC it made when deployed without the GPU pool (null: it shares the GPU pool's).
     */
    static void cpuPool(Stack stack, SluiceStack.Settings settings, DataStore data, CpuPool cpu,
                        software.amazon.awscdk.services.ec2.Vpc ownVpc) {
        if (ownVpc != null) {
            NagSuppressions.addResourceSuppressions(ownVpc, List.of(because("AwsSolutions-VPC7", "the pool's VPC holds "
                    + "only the CPU pool's Fargate workers with no inbound rule; flow logs are billed per GB and left to "
                    + "the account's network policy")));
        }
        NagSuppressions.addResourceSuppressions(cpu.cluster, List.of(because("AwsSolutions-ECS4", "Container Insights "
                + "bills per metric; the pool's health is its queues' backlog and DLQ alarms (Observability); turn it on "
                + "per cluster when needed")));
        for (var task : cpu.tasks) {
            imagePulledAndNoSecrets(task);
            NagSuppressions.addResourceSuppressions(task.getTaskRole(), List.of(wildcards(stack, settings, data,
                    Access.Role.TASK_WORKER)), true);
        }
    }

    private static String logicalId(Stack stack, IConstruct construct) {
        return stack.getLogicalId((CfnElement) construct.getNode().getDefaultChild());
    }

    private static NagPackSuppression because(String id, String reason, String... appliesTo) {
        var b = NagPackSuppression.builder().id(id).reason(reason);
        if (appliesTo.length > 0) {
            b.appliesTo(List.of((Object[]) appliesTo));
        }
        return b.build();
    }
}
