package dev.sluice.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.applicationautoscaling.AdjustmentType;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.applicationautoscaling.ScalingInterval;
import software.amazon.awscdk.services.autoscaling.AutoScalingGroup;
import software.amazon.awscdk.services.cloudwatch.MathExpression;
import software.amazon.awscdk.services.ec2.InstanceType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.AmiHardwareType;
import software.amazon.awscdk.services.ecs.AsgCapacityProvider;
import software.amazon.awscdk.services.ecs.AssetImageProps;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.Ec2Service;
import software.amazon.awscdk.services.ecs.Ec2TaskDefinition;
import software.amazon.awscdk.services.ecs.EcsOptimizedImage;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.ecs.ScalableTaskCount;
import software.amazon.awscdk.services.applicationautoscaling.BasicStepScalingPolicyProps;
import software.constructs.Construct;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The GPU task pool (context gpuPool=true; off by default: its VPC's NAT gateway costs money while idle): an ECS
 * cluster on EC2 GPU instances (ECS-optimized Amazon Linux 2023 GPU AMI, IMDSv2 only) from an auto-scaling group used as a
 * capacity provider with managed scaling, and a service of GPU workers whose desired count follows the inference-gpu
 * queue's backlog (messages visible + in flight) per task, down to zero when the queue is empty.
 */
final class GpuPool extends Construct {
    final Ec2Service service;
    final Vpc vpc;
    final Cluster cluster;
    final AutoScalingGroup instances;
    final Ec2TaskDefinition task;
    /** The role the workers run with (the data bucket's policy lets it in). */
    final software.amazon.awscdk.services.iam.IRole taskRole;

    GpuPool(Construct scope, String id, SluiceStack.Settings settings, DataStore data, WorkQueues queues,
            Map<String, String> environment, Observability observability) {
        super(scope, id);
        // the hosts start from a launch template, not a launch configuration: AWS no longer lets new accounts create
        // launch configurations (Auto Scaling's feature in maintenance mode since 2024-10-01; cfn-lint W3697)
        getNode().setContext("@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig", true);
        vpc = Vpc.Builder.create(this, "Vpc").maxAzs(2).natGateways(1).build();
        cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).build();
        instances = AutoScalingGroup.Builder.create(this, "Instances").vpc(vpc)
                .instanceType(new InstanceType(settings.gpuInstanceType()))
                // the current ECS-optimized Amazon Linux 2023 GPU AMI, resolved from its SSM parameter at each deploy (the
                // Amazon Linux 2 one went out of support on 2026-06-30)
                .machineImage(EcsOptimizedImage.amazonLinux2023(AmiHardwareType.GPU))
                .requireImdsv2(true)
                .minCapacity(0).maxCapacity(settings.gpuMaxTasks()).build();
        AsgCapacityProvider capacity = AsgCapacityProvider.Builder.create(this, "Capacity")
                .autoScalingGroup(instances).enableManagedScaling(true).enableManagedTerminationProtection(false)
                .targetCapacityPercent(100).build();
        cluster.addAsgCapacityProvider(capacity);
        // spot hosts for executions with compute.purchaseOption spot: their own group and capacity provider; ECS
        // drains a host's tasks (SIGTERM) on its two-minute interruption notice (ECS_ENABLE_SPOT_INSTANCE_DRAINING)
        spotInstances = AutoScalingGroup.Builder.create(this, "SpotInstances").vpc(vpc)
                .instanceType(new InstanceType(settings.gpuInstanceType()))
                .machineImage(EcsOptimizedImage.amazonLinux2023(AmiHardwareType.GPU))
                .requireImdsv2(true).spotPrice(SPOT_PRICE_CAP)
                .minCapacity(0).maxCapacity(settings.gpuMaxTasks()).build();
        AsgCapacityProvider spotCapacity = AsgCapacityProvider.Builder.create(this, "SpotCapacity")
                .autoScalingGroup(spotInstances).enableManagedScaling(true).enableManagedTerminationProtection(false)
                .spotInstanceDraining(true).targetCapacityPercent(100).build();
        cluster.addAsgCapacityProvider(spotCapacity);
        // the capacity provider's spotInstanceDraining does not reach a group started from a launch template (the
        // synthesized user data had only ECS_CLUSTER): the ECS agent is told here
        spotInstances.addUserData("echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config");

        task = Ec2TaskDefinition.Builder.create(this, "Task").build();
        taskRole = task.getTaskRole();
        ContainerImage image = settings.gpuWorkerImage() != null ? registryImage(settings.gpuWorkerImage())
                : ContainerImage.fromAsset(settings.repositoryRoot().toString(), AssetImageProps.builder()
                .file("functions/gpu-worker/Dockerfile")
                .exclude(List.of("**/target", ".git", "**/cdk.out", "**/node_modules")).build());
        Map<String, String> onDemandEnv = new java.util.HashMap<>(environment);
        onDemandEnv.put("SLUICE_POOL", "gpu");
        task.addContainer("Worker", ContainerDefinitionOptions.builder()
                .image(image)
                .gpuCount(1)
                .memoryReservationMiB(8192)
                .environment(onDemandEnv)
                .stopTimeout(Duration.seconds(120)) // SIGTERM drain: the batch in hand finishes
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("gpu-worker")
                        .logGroup(software.amazon.awscdk.services.logs.LogGroup.Builder.create(this, "Logs")
                                .retention(software.amazon.awscdk.services.logs.RetentionDays.ONE_MONTH).build())
                        .build()))
                .build());
        // its tables, actions and data-bucket prefixes (Access: issue 28, least privilege); jobs' S3 destinations
        data.grant(task.getTaskRole(), Access.Role.GPU_WORKER);
        Functions.destinations(settings.executionBuckets(), task.getTaskRole());
        Functions.itemBuckets(settings.itemBuckets(), task.getTaskRole());
        queues.inferenceGpu.grantConsumeMessages(task.getTaskRole());
        Functions.taskWork(this, task.getTaskRole(), settings, data, queues, List.of(
                queues.poolTasks.get(dev.sluice.core.pipeline.BatchQueue.Name.GPU_TASKS)));
        queues.delivery.grantSendMessages(task.getTaskRole());
        task.getTaskRole().addToPrincipalPolicy(Functions.putJobEvents(this)); // it ends jobs too

        service = Ec2Service.Builder.create(this, "Service").cluster(cluster).taskDefinition(task).desiredCount(0)
                .capacityProviderStrategies(List.of(CapacityProviderStrategy.builder()
                        .capacityProvider(capacity.getCapacityProviderName()).weight(1).build()))
                .build();
        ScalableTaskCount count = service.autoScaleTaskCount(EnableScalingProps.builder()
                .minCapacity(0).maxCapacity(settings.gpuMaxTasks()).build());
        // one backlog for the jobs' batches and the executions' files (a file counts as a batch's worth of work)
        scaleOnBacklog(count, List.of(queues.inferenceGpu,
                queues.poolTasks.get(dev.sluice.core.pipeline.BatchQueue.Name.GPU_TASKS)),
                settings.gpuMaxTasks(), settings.gpuBacklogPerTask());

        // the spot service: the same image running only the task worker, over the spot queue
        spotTask = Ec2TaskDefinition.Builder.create(this, "SpotTask").build();
        Map<String, String> spotEnv = new java.util.HashMap<>(environment);
        spotEnv.put("SLUICE_POOL", "gpu-spot");
        spotTask.addContainer("Worker", ContainerDefinitionOptions.builder()
                .image(image).gpuCount(1).memoryReservationMiB(8192).environment(spotEnv)
                .entryPoint(List.of("java", "-XX:MaxRAMPercentage=75",
                        // Arrow (Feather files) reads direct buffers through java.nio internals
                        "--add-opens=java.base/java.nio=ALL-UNNAMED",
                        "-cp", "/app/worker.jar:/app/lib/*", "dev.sluice.function.gpu.TaskWorkerMain"))
                .stopTimeout(Duration.seconds(120))
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("gpu-spot-worker")
                        .logGroup(software.amazon.awscdk.services.logs.LogGroup.Builder.create(this, "SpotLogs")
                                .retention(software.amazon.awscdk.services.logs.RetentionDays.ONE_MONTH).build())
                        .build()))
                .build());
        software.amazon.awscdk.services.sqs.Queue spotQueue =
                queues.poolTasks.get(dev.sluice.core.pipeline.BatchQueue.Name.GPU_SPOT_TASKS);
        Functions.taskWork(this, spotTask.getTaskRole(), settings, data, queues, List.of(spotQueue));
        spotTaskRole = spotTask.getTaskRole();
        spotService = Ec2Service.Builder.create(this, "SpotService").cluster(cluster).taskDefinition(spotTask)
                .desiredCount(0).capacityProviderStrategies(List.of(CapacityProviderStrategy.builder()
                        .capacityProvider(spotCapacity.getCapacityProviderName()).weight(1).build()))
                .build();
        scaleOnBacklog(spotService.autoScaleTaskCount(EnableScalingProps.builder().minCapacity(0)
                        .maxCapacity(settings.gpuMaxTasks()).build()), List.of(spotQueue), settings.gpuMaxTasks(),
                settings.taskSlots());
    }

    /** The most a spot GPU host may cost per hour (USD): the on-demand price of the default g4dn.xlarge. */
    static final String SPOT_PRICE_CAP = "0.526";
    final Ec2Service spotService;
    /** The spot service's role (the data bucket's policy lets it in). */
    final software.amazon.awscdk.services.iam.IRole spotTaskRole;
    /** The spot hosts and the spot service's task definition (their cdk-nag findings are answered in Checks). */
    final AutoScalingGroup spotInstances;
    final Ec2TaskDefinition spotTask;

    /**
     * A service's desired count follows its queues' backlog (messages visible + in flight, summed): 0 for none, then
     * one task per {@code perTask} messages, up to max (step scaling, one-minute periods and cooldown).
     */
    static void scaleOnBacklog(ScalableTaskCount count, List<software.amazon.awscdk.services.sqs.Queue> backlogOf,
                               int max, int perTask) {
        Map<String, software.amazon.awscdk.services.cloudwatch.IMetric> metrics = new java.util.LinkedHashMap<>();
        List<String> terms = new ArrayList<>();
        for (int i = 0; i < backlogOf.size(); i++) {
            metrics.put("visible" + i, backlogOf.get(i).metricApproximateNumberOfMessagesVisible());
            metrics.put("inFlight" + i, backlogOf.get(i).metricApproximateNumberOfMessagesNotVisible());
            terms.add("visible" + i + " + inFlight" + i);
        }
        MathExpression backlog = MathExpression.Builder.create().expression(String.join(" + ", terms))
                .usingMetrics(metrics).period(Duration.minutes(1)).build();
        count.scaleOnMetric("Backlog", BasicStepScalingPolicyProps.builder()
                .metric(backlog)
                .adjustmentType(AdjustmentType.EXACT_CAPACITY)
                .scalingSteps(steps(max, perTask))
                .cooldown(Duration.minutes(1)).build());
    }

    /**
     * An ECR image URI ({@code ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/NAME[:TAG|@sha256:DIGEST]}) names its
     * repository by account, region and name: the repository is imported by that ARN, so the task definition pulls
     * from that account and region (the URI CDK writes is made from the ARN) and the execution role may pull from that
     * repository only. A repository of another account must also allow this account to pull in its repository policy
     * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/repository-policy-examples.html). Any other registry's
     * image is used as it is.
     */
    ContainerImage registryImage(String uri) {
        var ecr = ECR_URI.matcher(uri);
        if (!ecr.matches()) {
            return ContainerImage.fromRegistry(uri);
        }
        String partition = ecr.group(3) == null ? "aws" : "aws-cn";
        String arn = "arn:" + partition + ":ecr:" + ecr.group(2) + ":" + ecr.group(1) + ":repository/" + ecr.group(4);
        var repository = software.amazon.awscdk.services.ecr.Repository.fromRepositoryAttributes(this, "WorkerRepository",
                software.amazon.awscdk.services.ecr.RepositoryAttributes.builder().repositoryArn(arn)
                        .repositoryName(ecr.group(4)).build());
        String tagOrDigest = ecr.group(6) != null ? ecr.group(6) : ecr.group(5) != null ? ecr.group(5) : "latest";
        return ContainerImage.fromEcrRepository(repository, tagOrDigest);
    }

    /** account, region, .cn, repository name, tag, digest (sha256:…). */
    static final java.util.regex.Pattern ECR_URI = java.util.regex.Pattern.compile(
            "^(\\d{12})\\.dkr\\.ecr\\.([a-z]{2}(?:-[a-z]+)+-\\d)\\.amazonaws\\.com(\\.cn)?/([a-z0-9._/-]+?)"
                    + "(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@(sha256:[a-f0-9]{64}))?$");

    /** Exact task counts: 0 for an empty queue, then one task per {@code perTask} queued batches, up to max. */
    static List<ScalingInterval> steps(int max, int perTask) {
        List<ScalingInterval> steps = new ArrayList<>();
        steps.add(ScalingInterval.builder().upper(0).change(0).build());
        for (int k = 1; k <= max; k++) {
            ScalingInterval.Builder b = ScalingInterval.builder().lower((k - 1) * perTask).change(k);
            if (k < max) {
                b.upper(k * perTask);
            }
            steps.add(b.build());
        }
        return steps;
    }

}
