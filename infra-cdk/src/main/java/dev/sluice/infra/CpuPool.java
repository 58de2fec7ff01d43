package dev.sluice.infra;

import dev.sluice.core.pipeline.BatchQueue;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.applicationautoscaling.EnableScalingProps;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.AssetImageProps;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargateService;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU task pool (context cpuPool=true; off by default: its VPC's NAT gateway costs money while idle, about
 * USD 33 a month; no task runs and nothing else is billed while its queues are empty): a Fargate cluster with the
 * FARGATE and FARGATE_SPOT capacity providers and two services of task workers ({@code TaskWorkerMain}), one per
 * purchase option, each on its own queue of executions' file tasks and scaled on that queue's backlog, down to zero.
 * A Fargate Spot interruption reaches the task as SIGTERM two minutes ahead: the worker hands its files back.
 */
final class CpuPool extends Construct {
    final FargateService onDemand;
    final FargateService spot;
    /** The workers' roles, one per service (the data bucket's policy lets them in). */
    final List<software.amazon.awscdk.services.iam.IRole> taskRoles = new java.util.ArrayList<>();

    CpuPool(Construct scope, String id, SluiceStack.Settings settings, Vpc vpc, DataStore data, WorkQueues queues,
            Map<String, String> environment) {
        super(scope, id);
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).enableFargateCapacityProviders(true).build();
        ContainerImage image = settings.gpuWorkerImage() != null ? ContainerImage.fromRegistry(settings.gpuWorkerImage())
                : ContainerImage.fromAsset(settings.repositoryRoot().toString(), AssetImageProps.builder()
                .file("functions/gpu-worker/Dockerfile")
                .exclude(List.of("**/target", ".git", "**/cdk.out", "**/node_modules")).build());
        onDemand = service("OnDemand", cluster, image, "FARGATE", "cpu", queues.poolTasks.get(BatchQueue.Name.CPU_TASKS),
                settings, data, queues, environment);
        spot = service("Spot", cluster, image, "FARGATE_SPOT", "cpu-spot",
                queues.poolTasks.get(BatchQueue.Name.CPU_SPOT_TASKS), settings, data, queues, environment);
    }

    /** One service: its task definition (SLUICE_POOL names its queue), capacity provider, grants and scaling. */
    private FargateService service(String id, Cluster cluster, ContainerImage image, String capacityProvider,
                                   String pool, Queue queue, SluiceStack.Settings settings, DataStore data,
                                   WorkQueues queues, Map<String, String> environment) {
        int[] size = settings.cpuTaskUnits();
        FargateTaskDefinition task = FargateTaskDefinition.Builder.create(this, id + "Task")
                .cpu(size[0]).memoryLimitMiB(size[1]).build();
        Map<String, String> env = new HashMap<>(environment);
        env.put("SLUICE_TASK_SLOTS", Integer.toString(settings.taskSlots()));
        env.put("SLUICE_POOL", pool);
        task.addContainer("Worker", ContainerDefinitionOptions.builder()
                .image(image).environment(env)
                .entryPoint(List.of("java", "-XX:MaxRAMPercentage=75",
                        // Arrow (Feather files) reads direct buffers through java.nio internals
                        "--add-opens=java.base/java.nio=ALL-UNNAMED",
                        "-cp", "/app/worker.jar:/app/lib/*", "dev.sluice.function.gpu.TaskWorkerMain"))
                .stopTimeout(Duration.seconds(120)) // SIGTERM drain: files in hand go back at a batch boundary
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix(pool + "-worker")
                        .logGroup(software.amazon.awscdk.services.logs.LogGroup.Builder.create(this, id + "Logs")
                                .retention(software.amazon.awscdk.services.logs.RetentionDays.ONE_MONTH).build())
                        .build()))
                .build());
        Functions.taskWork(this, task.getTaskRole(), settings, data, queues, List.of(queue));
        taskRoles.add(task.getTaskRole());
        FargateService service = FargateService.Builder.create(this, id).cluster(cluster).taskDefinition(task)
                .desiredCount(0).minHealthyPercent(0)
                .capacityProviderStrategies(List.of(CapacityProviderStrategy.builder()
                        .capacityProvider(capacityProvider).weight(1).build()))
                .build();
        GpuPool.scaleOnBacklog(service.autoScaleTaskCount(EnableScalingProps.builder().minCapacity(0)
                .maxCapacity(settings.cpuMaxTasks()).build()), List.of(queue), settings.cpuMaxTasks(), settings.taskSlots());
        return service;
    }
}
