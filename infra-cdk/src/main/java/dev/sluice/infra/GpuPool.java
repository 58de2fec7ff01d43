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
    /** The role the workers run with (the data bucket's policy lets it in). */
    final software.amazon.awscdk.services.iam.IRole taskRole;

    GpuPool(Construct scope, String id, SluiceStack.Settings settings, DataStore data, WorkQueues queues,
            Map<String, String> environment, Observability observability) {
        super(scope, id);
        // the hosts start from a launch template, not a launch configuration: AWS no longer lets new accounts create
        // launch configurations (Auto Scaling's feature in maintenance mode since 2024-10-01; cfn-lint W3697)
        getNode().setContext("@aws-cdk/aws-autoscaling:generateLaunchTemplateInsteadOfLaunchConfig", true);
        Vpc vpc = Vpc.Builder.create(this, "Vpc").maxAzs(2).natGateways(1).build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).build();
        AutoScalingGroup instances = AutoScalingGroup.Builder.create(this, "Instances").vpc(vpc)
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

        Ec2TaskDefinition task = Ec2TaskDefinition.Builder.create(this, "Task").build();
        taskRole = task.getTaskRole();
        ContainerImage image = settings.gpuWorkerImage() != null ? registryImage(settings.gpuWorkerImage())
                : ContainerImage.fromAsset(settings.repositoryRoot().toString(), AssetImageProps.builder()
                .file("functions/gpu-worker/Dockerfile")
                .exclude(List.of("**/target", ".git", "**/cdk.out", "**/node_modules")).build());
        task.addContainer("Worker", ContainerDefinitionOptions.builder()
                .image(image)
                .gpuCount(1)
                .memoryReservationMiB(8192)
                .environment(environment)
                .stopTimeout(Duration.seconds(120)) // SIGTERM drain: the batch in hand finishes
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("gpu-worker")
                        .logGroup(software.amazon.awscdk.services.logs.LogGroup.Builder.create(this, "Logs")
                                .retention(software.amazon.awscdk.services.logs.RetentionDays.ONE_MONTH).build())
                        .build()))
                .build());
        List.of(data.jobs, data.ledger, data.logs).forEach(t -> t.grantReadWriteData(task.getTaskRole()));
        data.catalog.grantReadData(task.getTaskRole());
        // results parts and claim-checked delivery payloads are written, the ONNX files read (issue 28: prefixes only)
        data.bucket.grantReadWrite(task.getTaskRole(), dev.sluice.core.ObjectKeys.RESULTS + "*");
        data.bucket.grantRead(task.getTaskRole(), dev.sluice.core.ObjectKeys.MODELS + "*");
        Functions.itemBuckets(settings.itemBuckets(), task.getTaskRole());
        queues.inferenceGpu.grantConsumeMessages(task.getTaskRole());
        queues.delivery.grantSendMessages(task.getTaskRole());
        task.getTaskRole().addToPrincipalPolicy(Functions.putJobEvents(this)); // it ends jobs too

        service = Ec2Service.Builder.create(this, "Service").cluster(cluster).taskDefinition(task).desiredCount(0)
                .capacityProviderStrategies(List.of(CapacityProviderStrategy.builder()
                        .capacityProvider(capacity.getCapacityProviderName()).weight(1).build()))
                .build();
        ScalableTaskCount count = service.autoScaleTaskCount(EnableScalingProps.builder()
                .minCapacity(0).maxCapacity(settings.gpuMaxTasks()).build());
        MathExpression backlog = MathExpression.Builder.create().expression("visible + inFlight")
                .usingMetrics(Map.of("visible", queues.inferenceGpu.metricApproximateNumberOfMessagesVisible(),
                        "inFlight", queues.inferenceGpu.metricApproximateNumberOfMessagesNotVisible()))
                .period(Duration.minutes(1)).build();
        count.scaleOnMetric("Backlog", BasicStepScalingPolicyProps.builder()
                .metric(backlog)
                .adjustmentType(AdjustmentType.EXACT_CAPACITY)
                .scalingSteps(steps(settings.gpuMaxTasks(), settings.gpuBacklogPerTask()))
                .cooldown(Duration.minutes(1)).build());
    }

    /** An image in ECR gets pull permissions through the repository; any other registry is used as it is. */
    private ContainerImage registryImage(String uri) {
        var ecr = java.util.regex.Pattern.compile("^\\d{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com/([^:@]+)(?::(.+))?$")
                .matcher(uri);
        if (ecr.matches()) {
            return ContainerImage.fromEcrRepository(
                    software.amazon.awscdk.services.ecr.Repository.fromRepositoryName(this, "WorkerRepository", ecr.group(1)),
                    ecr.group(2) == null ? "latest" : ecr.group(2));
        }
        return ContainerImage.fromRegistry(uri);
    }

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
