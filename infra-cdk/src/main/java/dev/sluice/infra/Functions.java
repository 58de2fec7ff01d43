package dev.sluice.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.events.Rule;
import software.amazon.awscdk.services.events.Schedule;
import software.amazon.awscdk.services.events.targets.LambdaFunction;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.lambda.Architecture;
import software.amazon.awscdk.services.lambda.Code;
import software.amazon.awscdk.services.lambda.Function;
import software.amazon.awscdk.services.lambda.Runtime;
import software.amazon.awscdk.services.lambda.SnapStartConf;
import software.amazon.awscdk.services.lambda.eventsources.SqsEventSource;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.amazon.awscdk.services.sqs.Queue;
import software.constructs.Construct;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The five Lambda functions (java21, SnapStart on published versions, an alias "live" that the event sources invoke),
 * memory and timeouts per role, ReportBatchItemFailures on every SQS event source, and permissions through grants.
 */
final class Functions extends Construct {
    static final String HANDLER = "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest";

    /**
     * The inference function's default memory size and architecture: the cheapest per photo of those the app offers
     * ({@link dev.sluice.core.usage.LambdaSizing#OFFERED}, x86_64 and arm64) by the inference stage's recorded bench
     * measurement ({@code lambda-measurement.json}) at the dated us-east-1 prices, as Lambda Power Tuning would
     * choose; only the measured architecture can be chosen, and it is the one the packages' natives are for.
     */
    static final dev.sluice.core.usage.LambdaSizing.Estimate INFERENCE_DEFAULT =
            dev.sluice.core.usage.LambdaSizing.deployedDefault();

    final Alias api;
    final Alias fanout;
    final Alias inference;
    final Alias delivery;
    final Alias scheduler;
    private final Map<String, String> environment = new LinkedHashMap<>();

    Functions(Construct scope, String id, SluiceStack.Settings settings, DataStore data, WorkQueues queues) {
        super(scope, id);
        environment.put("SLUICE_JOBS_TABLE", data.jobs.getTableName());
        environment.put("SLUICE_CATALOG_TABLE", data.catalog.getTableName());
        environment.put("SLUICE_KEYS_TABLE", data.keys.getTableName());
        environment.put("SLUICE_LEDGER_TABLE", data.ledger.getTableName());
        environment.put("SLUICE_LOGS_TABLE", data.logs.getTableName());
        environment.put("SLUICE_FANOUT_QUEUE_URL", queues.fanout.getQueueUrl());
        environment.put("SLUICE_INFERENCE_QUEUE_URL", queues.inference.getQueueUrl());
        environment.put("SLUICE_INFERENCE_GPU_QUEUE_URL", queues.inferenceGpu.getQueueUrl());
        environment.put("SLUICE_DELIVERY_QUEUE_URL", queues.delivery.getQueueUrl());
        environment.put("SLUICE_BUCKET", data.bucket.getBucketName());
        // what users may reach with the functions' role besides the data bucket (checked in code before any request,
        // and granted below by exactly these names)
        environment.put("SLUICE_ITEM_BUCKETS", String.join(",", settings.itemBuckets()));
        environment.put("SLUICE_EXECUTION_BUCKETS", String.join(",", settings.executionBuckets()));
        // job events (started, progress, completed) go to the account's default bus, where rules pick them up
        environment.put("SLUICE_EVENT_BUS_NAME", EVENT_BUS);
        // executions' compute (issue 27): the instances each target offers, and the queues of the pools deployed
        environment.put("SLUICE_LAMBDA_INSTANCES", Integer.toString(settings.inferenceMemorySize()));
        if (settings.gpuPool()) {
            environment.put("SLUICE_GPU_INSTANCES", settings.gpuInstanceType());
        }
        if (settings.cpuPool()) {
            environment.put("SLUICE_CPU_INSTANCES", settings.cpuTaskSize());
        }
        queues.poolTasks.forEach((name, q) -> environment.put("SLUICE_" + name.name() + "_QUEUE_URL", q.getQueueUrl()));

        // each role's tables, actions and data-bucket prefixes: Access (issue 28, least privilege)
        api = function(settings, "api", 2048, 29);
        settles(api, settings, queues);
        data.grant(api, Access.Role.API);
        queues.fanout.grantSendMessages(api);

        fanout = function(settings, "fanout", 1024, WorkQueues.FANOUT_TIMEOUT);
        settles(fanout, settings, queues);
        data.grant(fanout, Access.Role.FANOUT);
        queues.fanout.grantSendMessages(fanout);
        queues.inference.grantSendMessages(fanout);
        queues.inferenceGpu.grantSendMessages(fanout);
        queues.poolTasks.values().forEach(q -> q.grantSendMessages(fanout)); // an execution's first files on a pool
        consume(fanout, queues.fanout, 1, null);

        inference = function(settings, "inference", settings.inferenceMemorySize(), settings.inferenceTimeoutSeconds());
        settles(inference, settings, queues);
        data.grant(inference, Access.Role.INFERENCE);
        // a settled file sends the next task of its slot
        queues.inference.grantSendMessages(inference);
        consume(inference, queues.inference, 10, settings.inferenceMaxConcurrency());

        delivery = function(settings, "delivery", 1024, WorkQueues.DELIVERY_TIMEOUT);
        settles(delivery, settings, queues);
        data.grant(delivery, Access.Role.DELIVERY);
        consume(delivery, queues.delivery, 10, settings.deliveryMaxConcurrency());

        scheduler = function(settings, "scheduler", 1024, 60);
        settles(scheduler, settings, queues);
        data.grant(scheduler, Access.Role.SCHEDULER);
        queues.inference.grantSendMessages(scheduler); // a dead-lettered file task's slot moves on
        queues.poolTasks.values().forEach(q -> q.grantSendMessages(scheduler));
        // the expiry sweep starts the validation of a dataset upload that came but was never looked at
        queues.fanout.grantSendMessages(scheduler);
        executionBuckets(settings.executionBuckets(), inference);
        itemBuckets(settings.itemBuckets(), inference);
        secrets(api, fanout, inference);
        assumeCustomerRoles(api, fanout, inference);
        // it drains the DLQs (finding each from its queue's redrive policy) and accounts what they held
        queues.deadLetters.values().forEach(dlq -> dlq.grantConsumeMessages(scheduler));
        List.of(queues.fanout, queues.inference, queues.inferenceGpu, queues.delivery)
                .forEach(q -> q.grant(scheduler, "sqs:GetQueueAttributes"));
        queues.poolTasks.values().forEach(q -> q.grant(scheduler, "sqs:GetQueueAttributes"));
        Rule.Builder.create(this, "EveryMinute").schedule(Schedule.rate(Duration.minutes(1)))
                .description("Sluice scheduler: time out, finish and fail jobs; account dead letters")
                .targets(List.of(new LambdaFunction(scheduler))).build();
    }

    /** The roles the functions run with: the only principals the data bucket's policy lets in. */
    List<software.amazon.awscdk.services.iam.IRole> roles() {
        return List.of(api, fanout, inference, delivery, scheduler).stream().map(Alias::getRole).toList();
    }

    /**
     * Projects' stored secrets (issue 20, item 1): the API creates, rotates, lists and deletes them, fan-out and
     * inference read them (executions' access keys). Every grant is limited to secrets named {@code sluice/*}
     * (SecretStore.PREFIX) and, but for ListSecrets (no resource-level permissions), to secrets tagged
     * {@code sluice:project}: CreateSecret must carry the tag. Which project's prefix a request reaches is decided in
     * code from the caller's API key (SecretStore.storedName), not by IAM: the functions serve every project.
     */
    private void secrets(Alias api, Alias fanout, Alias inference) {
        String arn = software.amazon.awscdk.Stack.of(this).formatArn(software.amazon.awscdk.ArnComponents.builder()
                .service("secretsmanager").resource("secret").resourceName(dev.sluice.core.port.SecretStore.PREFIX + "*")
                .arnFormat(software.amazon.awscdk.ArnFormat.COLON_RESOURCE_NAME).build());
        String tag = dev.sluice.aws.SecretsManagerStore.PROJECT_TAG;
        Map<String, Object> tagged = Map.of("Null", Map.of("secretsmanager:ResourceTag/" + tag, "false"));
        for (Alias fn : List.of(api, fanout, inference)) {
            fn.addToRolePolicy(readSecrets(this));
        }
        api.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret"))
                .resources(List.of(arn)).conditions(tagged).build());
        api.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("secretsmanager:CreateSecret", "secretsmanager:TagResource"))
                .resources(List.of(arn))
                .conditions(Map.of("Null", Map.of("aws:RequestTag/" + tag, "false"))).build());
        api.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("secretsmanager:ListSecrets")).resources(List.of("*")).build());
    }

    /** secretsmanager:GetSecretValue on the projects' stored secrets ({@code sluice/*}, tagged with their project). */
    static software.amazon.awscdk.services.iam.PolicyStatement readSecrets(Construct scope) {
        String arn = software.amazon.awscdk.Stack.of(scope).formatArn(software.amazon.awscdk.ArnComponents.builder()
                .service("secretsmanager").resource("secret").resourceName(dev.sluice.core.port.SecretStore.PREFIX + "*")
                .arnFormat(software.amazon.awscdk.ArnFormat.COLON_RESOURCE_NAME).build());
        Map<String, Object> tagged = Map.of("Null", Map.of("secretsmanager:ResourceTag/"
                + dev.sluice.aws.SecretsManagerStore.PROJECT_TAG, "false"));
        return software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("secretsmanager:GetSecretValue")).resources(List.of(arn)).conditions(tagged).build();
    }

    /**
     * What a task pool's worker needs to run executions' files: the catalog (executions and models), the ledger, jobs
     * and logs tables (settlements), the data bucket (model files), the execution and item buckets named at deploy
     * time (read and write; multipart uploads aborted on a drain), the projects' stored secrets, and its pool queues
     * (consume; send, for the next file of a slot); customers' roles assumed as the functions do.
     */
    static void taskWork(Construct scope, software.amazon.awscdk.services.iam.IRole role, SluiceStack.Settings settings,
                         DataStore data, WorkQueues queues, List<software.amazon.awscdk.services.sqs.Queue> consumed) {
        // as the inference function: its tables and actions, model files and executions' file lists read, results
        data.grant(role, Access.Role.TASK_WORKER);
        assumeCustomerRoles(scope, role);
        queues.delivery.grantSendMessages(role);
        role.addToPrincipalPolicy(putJobEvents(scope));
        role.addToPrincipalPolicy(readSecrets(scope));
        itemBuckets(settings.itemBuckets(), role);
        if (!settings.executionBuckets().isEmpty()) {
            role.addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                    .actions(List.of("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"))
                    .resources(settings.executionBuckets().stream().map(b -> "arn:aws:s3:::" + b + "/*").toList())
                    .build());
        }
        consumed.forEach(q -> {
            q.grantConsumeMessages(role);
            q.grantSendMessages(role);
        });
    }

    /**
     * Executions that name {@code iamRoleArn} (issue 27 item 3): the api function assumes the role at create (a
     * refusal is known at once), fan-out lists and inference reads and writes with it. sts:AssumeRole on roles of
     * other accounts only: an explicit Deny on this account's roles, since a role of the deployment's own account may
     * trust the account without an external id, and any project could name it (a confused deputy). The pools' task
     * roles get the same ({@link #taskWork}); {@link #rolePrincipals} names them all.
     */
    private void assumeCustomerRoles(Alias... functions) {
        for (Alias fn : functions) {
            assumeCustomerRoles(this, fn.getRole());
        }
    }

    /** sts:AssumeRole on roles of other accounts, denied on the deployment's own account's roles. */
    static void assumeCustomerRoles(Construct scope, software.amazon.awscdk.services.iam.IRole role) {
        var stack = software.amazon.awscdk.Stack.of(scope);
        String ownRoles = stack.formatArn(software.amazon.awscdk.ArnComponents.builder()
                .service("iam").region("").resource("role").resourceName("*").build());
        String anyRole = "arn:" + stack.getPartition() + ":iam::*:role/*";
        role.addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("sts:AssumeRole")).resources(List.of(anyRole)).build());
        role.addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .effect(software.amazon.awscdk.services.iam.Effect.DENY)
                .actions(List.of("sts:AssumeRole")).resources(List.of(ownRoles)).build());
    }

    /**
     * The ARNs of the roles that assume customers' roles, comma-separated (a CloudFormation token): the three
     * functions' and the task pools' workers' ({@code taskRoles}). The api function is told them
     * (SLUICE_ROLE_PRINCIPALS), which GET /execution-role shows and customers' trust policies name.
     */
    String rolePrincipals(List<software.amazon.awscdk.services.iam.IRole> taskRoles) {
        List<String> arns = new java.util.ArrayList<>(List.of(api, fanout, inference).stream()
                .map(f -> f.getRole().getRoleArn()).toList());
        taskRoles.forEach(r -> arns.add(r.getRoleArn()));
        String principals = software.amazon.awscdk.Fn.join(",", arns);
        ((Function) api.getVersion().getLambda()).addEnvironment(dev.sluice.aws.Components.ROLE_PRINCIPALS, principals);
        return principals;
    }

    /** The EventBridge bus job events are put on (source dev.sluice, detail-type "Sluice Job State Change"). */
    static final String EVENT_BUS = "default";

    /**
     * What ending a job takes besides its tables and {@code results/} ({@link Access}), from any function where a job
     * can end: the delivery queue (job events to webhooks), PutEvents on the event bus, and the jobs' S3 destinations
     * ({@link #destinations}).
     */
    private static void settles(Alias fn, SluiceStack.Settings settings, WorkQueues queues) {
        queues.delivery.grantSendMessages(fn);
        fn.addToRolePolicy(putJobEvents(fn));
        destinations(settings.executionBuckets(), fn);
    }

    /**
     * A job's S3 destination is one of the execution buckets (context executionBuckets; {@code S3Results}): its
     * results parts are copied there as they commit and its manifest written when it ends, from any role where a
     * batch settles or a job ends. HeadObject (GetObject) tells which parts are there already, which needs
     * ListBucket for a missing key's 404 (the destination's prefix is the user's, so the listing is of the bucket).
     */
    static void destinations(List<String> buckets, software.amazon.awscdk.services.iam.IGrantable role) {
        if (buckets.isEmpty()) {
            return;
        }
        role.getGrantPrincipal().addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder
                .create().actions(List.of("s3:ListBucket"))
                .resources(buckets.stream().map(b -> "arn:aws:s3:::" + b).toList()).build());
        role.getGrantPrincipal().addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder
                .create().actions(List.of("s3:GetObject", "s3:PutObject"))
                .resources(buckets.stream().map(b -> "arn:aws:s3:::" + b + "/*").toList()).build());
    }

    /** events:PutEvents on {@link #EVENT_BUS} only. */
    static software.amazon.awscdk.services.iam.PolicyStatement putJobEvents(Construct scope) {
        String bus = software.amazon.awscdk.Stack.of(scope).formatArn(software.amazon.awscdk.ArnComponents.builder()
                .service("events").resource("event-bus").resourceName(EVENT_BUS).build());
        return software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("events:PutEvents")).resources(List.of(bus)).build();
    }

    /**
     * Executions list their source folders (fan-out) and read and write files (inference) in the users' buckets named
     * at deploy time (context executionBuckets): the listing, reads and writes are granted to every role as jobs' S3
     * destinations ({@link #destinations}); inference also aborts the multipart upload of an output file that failed
     * ({@code UserFolders}), so no part is left billed in the user's bucket. No bucket is open to them otherwise.
     */
    private static void executionBuckets(List<String> buckets, Alias inference) {
        if (buckets.isEmpty()) {
            return;
        }
        inference.addToRolePolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder.create()
                .actions(List.of("s3:AbortMultipartUpload"))
                .resources(buckets.stream().map(b -> "arn:aws:s3:::" + b + "/*").toList()).build());
    }

    /**
     * s3:// items are read (GetObject only) from the buckets named at deploy time (context itemBuckets), by the
     * inference function and the GPU pool; the code refuses every other bucket, the data bucket included, before any
     * request (AllowedBuckets).
     */
    static void itemBuckets(List<String> buckets, software.amazon.awscdk.services.iam.IGrantable reader) {
        if (buckets.isEmpty()) {
            return;
        }
        reader.getGrantPrincipal().addToPrincipalPolicy(software.amazon.awscdk.services.iam.PolicyStatement.Builder
                .create().actions(List.of("s3:GetObject"))
                .resources(buckets.stream().map(b -> "arn:aws:s3:::" + b + "/*").toList()).build());
    }

    /** What every function and the GPU worker read from their environment. */
    Map<String, String> environment() {
        return environment;
    }

    List<Alias> all() {
        return List.of(api, fanout, inference, delivery, scheduler);
    }

    private Alias function(SluiceStack.Settings settings, String name, int memory, int timeoutSeconds) {
        String id = Character.toUpperCase(name.charAt(0)) + name.substring(1);
        Map<String, String> env = new LinkedHashMap<>(environment);
        // Arrow (executions' Feather files) reads direct buffers through java.nio internals
        env.put("JAVA_TOOL_OPTIONS", "-XX:+TieredCompilation -XX:TieredStopAtLevel=1 --add-opens=java.base/java.nio=ALL-UNNAMED");
        LogGroup logs = LogGroup.Builder.create(this, id + "Logs").retention(RetentionDays.ONE_MONTH).build();
        Function fn = Function.Builder.create(this, id)
                .runtime(Runtime.JAVA_21)
                .handler(HANDLER)
                .code(Code.fromAsset(settings.functionsDir().resolve(name).resolve("target/function.zip").toString()))
                .memorySize(memory)
                // the packages hold the natives of linux x86_64 only (ONNX Runtime, libjpeg-turbo): see INFERENCE_DEFAULT
                .architecture(Architecture.X86_64)
                .timeout(Duration.seconds(timeoutSeconds))
                .snapStart(SnapStartConf.ON_PUBLISHED_VERSIONS)
                .environment(env)
                .logGroup(logs)
                .build();
        return Alias.Builder.create(this, id + "Live").aliasName("live").version(fn.getCurrentVersion()).build();
    }

    private static void consume(Alias fn, Queue queue, int batchSize, Integer maxConcurrency) {
        var props = software.amazon.awscdk.services.lambda.eventsources.SqsEventSourceProps.builder()
                .batchSize(batchSize)
                .reportBatchItemFailures(true);
        if (batchSize > 1) {
            props.maxBatchingWindow(Duration.seconds(1));
        }
        if (maxConcurrency != null) {
            props.maxConcurrency(maxConcurrency);
        }
        fn.addEventSource(new SqsEventSource(queue, props.build()));
    }
}
