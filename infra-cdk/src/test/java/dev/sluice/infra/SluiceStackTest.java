package dev.sluice.infra;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Template;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Synthesizes the CDK app and checks the properties that matter, resource by resource. */
@SuppressWarnings("unchecked")
class SluiceStackTest {
    static Template template;
    static Map<String, Object> json;

    @BeforeAll
    static void synth() {
        App app = new App(AppProps.builder().context(Map.of("functionsDir", "../functions", "gpuPool", "true", "cpuPool", "true",
                "gpuWorkerImage", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sluice-gpu-worker:1",
                "executionBuckets", "customer-data, customer-results", "itemBuckets", "customer-photos")).build());
        SluiceStack stack = new SluiceStack(app, "Test", StackProps.builder().build(), SluiceStack.Settings.from(app));
        template = Template.fromStack(stack);
        json = (Map<String, Object>) template.toJSON();
    }

    static Map<String, Map<String, Object>> resources(String type) {
        return (Map<String, Map<String, Object>>) (Map<?, ?>) template.findResources(type);
    }

    static Map<String, Object> props(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    static Object at(Object node, String... path) {
        for (String key : path) {
            if (node instanceof Map<?, ?> m) {
                node = m.get(key);
            } else if (node instanceof List<?> l) {
                node = l.get(Integer.parseInt(key));
            } else {
                return null;
            }
        }
        return node;
    }

    static String refOf(Object value) {
        Object ref = at(value, "Ref");
        if (ref != null) {
            return ref.toString();
        }
        Object getAtt = at(value, "Fn::GetAtt");
        return getAtt instanceof List<?> l ? l.get(0).toString() : null;
    }

    /** The first logical id among the candidates that the expression refers to, however deeply. */
    static String findRef(Object node, java.util.Set<String> candidates) {
        if (node instanceof Map<?, ?> m) {
            Object ref = m.get("Ref");
            if (ref != null && candidates.contains(ref.toString())) {
                return ref.toString();
            }
            for (Object v : m.values()) {
                String found = findRef(v, candidates);
                if (found != null) {
                    return found;
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                String found = findRef(v, candidates);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    @Test
    void tables_areOnDemand_withPointInTimeRecovery_ttlOnLedgerLogsAndCatalog_andNoHardCodedNames() {
        var tables = resources("AWS::DynamoDB::Table");
        assertEquals(5, tables.size());
        int ttl = 0;
        for (var t : tables.values()) {
            var p = props(t);
            assertEquals("PAY_PER_REQUEST", p.get("BillingMode"));
            assertEquals(true, at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"));
            assertFalse(p.containsKey("TableName"), "no hard-coded table names");
            if (p.containsKey("TimeToLiveSpecification")) {
                assertEquals("expiresAt", at(p, "TimeToLiveSpecification", "AttributeName"));
                ttl++;
            }
        }
        assertEquals(3, ttl, "ledger, logs and the catalog's idempotency records expire");
    }

    @Test
    void bucket_isEncrypted_privateAndHasLifecycleRules_andRequiresTls() {
        var bucket = props(resources("AWS::S3::Bucket").values().iterator().next());
        assertNotNull(at(bucket, "BucketEncryption", "ServerSideEncryptionConfiguration", "0"));
        Map<String, Object> block = (Map<String, Object>) bucket.get("PublicAccessBlockConfiguration");
        assertTrue(block.values().stream().allMatch(Boolean.TRUE::equals), block.toString());
        assertTrue(((List<?>) at(bucket, "LifecycleConfiguration", "Rules")).size() >= 3);
        assertTrue(template.toJSON().toString().contains("aws:SecureTransport"));
    }

    @Test
    void everyQueueHasADlq_andAVisibilityTimeoutOfAtLeastSixTimesItsConsumers() {
        var queues = resources("AWS::SQS::Queue");
        assertEquals(16, queues.size(), "fanout, inference, inference-gpu, delivery, the four pool queues and their DLQs");
        long withDlq = queues.values().stream().filter(q -> props(q).containsKey("RedrivePolicy")).count();
        assertEquals(8, withDlq);
        var functions = resources("AWS::Lambda::Function");
        var aliases = resources("AWS::Lambda::Alias");
        var mappings = resources("AWS::Lambda::EventSourceMapping");
        assertEquals(3, mappings.size(), "fanout, inference and delivery consume queues");
        for (var m : mappings.values()) {
            var p = props(m);
            assertEquals(List.of("ReportBatchItemFailures"), p.get("FunctionResponseTypes"));
            var queue = props(queues.get(refOf(p.get("EventSourceArn"))));
            String alias = findRef(p.get("FunctionName"), aliases.keySet());
            assertNotNull(aliases.get(alias), "the mapping invokes an alias: " + p.get("FunctionName"));
            String function = refOf(props(aliases.get(alias)).get("FunctionName"));
            int timeout = ((Number) props(functions.get(function)).get("Timeout")).intValue();
            int visibility = ((Number) queue.get("VisibilityTimeout")).intValue();
            assertTrue(visibility >= 6 * timeout, function + ": visibility " + visibility + " < 6 x " + timeout);
        }
        assertTrue(mappings.values().stream().anyMatch(m -> Integer.valueOf(50).equals(at(props(m), "ScalingConfig", "MaximumConcurrency"))),
                "the inference mapping's maximum concurrency is settable");
    }

    /**
     * Every policy attached to roles: inline ones and the managed ones CDK adds when a role's default policy would
     * pass IAM's size limit (its statements overflow into them).
     */
    static List<Map<String, Object>> policies() {
        List<Map<String, Object>> all = new ArrayList<>(resources("AWS::IAM::Policy").values());
        resources("AWS::IAM::ManagedPolicy").values().stream().filter(p -> props(p).get("Roles") != null)
                .forEach(all::add);
        return all;
    }

    /** The policy statements attached to each role, as JSON text per role. */
    static Map<String, String> policiesByRole() {
        Map<String, String> byRole = new java.util.HashMap<>();
        for (var policy : policies()) {
            var p = props(policy);
            for (Object role : (List<?>) p.get("Roles")) {
                byRole.merge(refOf(role), String.valueOf(at(p, "PolicyDocument", "Statement")), String::concat);
            }
        }
        return byRole;
    }

    @Test
    void everyFunctionCanEndAJob_andTheSchedulerDrainsEveryDlq() {
        var queues = resources("AWS::SQS::Queue").keySet();
        String delivery = queues.stream().filter(q -> q.startsWith("QueuesDelivery") && !q.contains("Dlq")).findFirst().orElseThrow();
        var byRole = policiesByRole();
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        for (var f : functions) {
            String role = refOf(props(f.getValue()).get("Role"));
            String statements = byRole.getOrDefault(role, "");
            // manifest and errors file in the bucket, the job.completed event on the delivery queue
            assertTrue(statements.contains("sqs:SendMessage") && statements.contains(delivery), f.getKey() + ": " + statements);
            assertTrue(statements.contains("s3:PutObject"), f.getKey());
        }
        String scheduler = functions.stream().filter(f -> f.getKey().startsWith("FunctionsScheduler"))
                .map(f -> byRole.get(refOf(props(f.getValue()).get("Role")))).findFirst().orElseThrow();
        for (String dlq : queues.stream().filter(q -> q.contains("Dlq")).toList()) {
            assertTrue(scheduler.contains(dlq), "the scheduler consumes " + dlq);
        }
        assertTrue(scheduler.contains("sqs:ReceiveMessage") && scheduler.contains("sqs:DeleteMessage")
                && scheduler.contains("sqs:GetQueueAttributes"));
    }

    @Test
    void everyFunctionAndTheGpuPool_putJobEventsOnTheDefaultBusOnly_andAreToldItsName() {
        var byRole = statementsByRole();
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        List<String> roles = new java.util.ArrayList<>(functions.stream()
                .map(f -> refOf(props(f.getValue()).get("Role"))).toList());
        resources("AWS::ECS::TaskDefinition").values().forEach(t -> roles.add(refOf(props(t).get("TaskRoleArn"))));
        assertTrue(roles.size() >= 6, "five functions and the GPU workers: " + roles);
        for (String role : roles) {
            var puts = byRole.getOrDefault(role, List.of()).stream()
                    .filter(st -> actions(st).contains("events:PutEvents")).toList();
            assertEquals(1, puts.size(), role + " puts job events");
            String resource = String.valueOf(puts.get(0).get("Resource"));
            assertTrue(resource.contains(":event-bus/default"), role + " " + resource);
            assertFalse(resource.contains("*"), role + " " + resource);
        }
        for (var f : functions) {
            assertEquals("default", at(props(f.getValue()), "Environment", "Variables", "SLUICE_EVENT_BUS_NAME"), f.getKey());
        }
    }

    @Test
    void executionBuckets_areJobDestinationsOfEveryFunction_readOnlySluiceSecrets_andArrowMayOpenJavaNio() {
        var byRole = policiesByRole();
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        for (var f : functions) {
            String statements = byRole.getOrDefault(refOf(props(f.getValue()).get("Role")), "");
            boolean fanout = f.getKey().startsWith("FunctionsFanout");
            boolean inference = f.getKey().startsWith("FunctionsInference");
            // every function lists, reads and writes them: a job's S3 destination is one of them, and a job ends in
            // any function (Functions.destinations); only inference aborts an output file's multipart upload
            assertTrue(statements.contains("arn:aws:s3:::customer-data") && statements.contains("arn:aws:s3:::customer-results/*"),
                    f.getKey());
            assertEquals(inference, statements.contains("s3:AbortMultipartUpload"), f.getKey());
            boolean api = f.getKey().startsWith("FunctionsApi");
            assertEquals(api || fanout || inference, statements.contains("secretsmanager:GetSecretValue")
                    && statements.contains("secret:sluice/*"), f.getKey() + " reads only sluice/ secrets, and only if it must");
            assertTrue(at(props(f.getValue()), "Environment", "Variables", "JAVA_TOOL_OPTIONS").toString()
                    .contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), f.getKey());
        }
    }

    /** Each role's policy statements, as the template holds them. */
    static Map<String, List<Map<String, Object>>> statementsByRole() {
        Map<String, List<Map<String, Object>>> byRole = new java.util.HashMap<>();
        for (var policy : policies()) {
            var p = props(policy);
            for (Object role : (List<?>) p.get("Roles")) {
                byRole.computeIfAbsent(refOf(role), k -> new java.util.ArrayList<>())
                        .addAll((List<Map<String, Object>>) at(p, "PolicyDocument", "Statement"));
            }
        }
        return byRole;
    }

    static List<String> actions(Map<String, Object> statement) {
        Object a = statement.get("Action");
        return a instanceof List<?> l ? l.stream().map(Object::toString).toList() : List.of(a.toString());
    }

    @Test
    void executions_assumeOtherAccountsRoles_only_andTheApiNamesThePrincipals() {
        var byRole = statementsByRole();
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        java.util.Set<String> assuming = new java.util.TreeSet<>();
        for (var f : functions) {
            var statements = byRole.getOrDefault(refOf(props(f.getValue()).get("Role")), List.of()).stream()
                    .filter(st -> actions(st).contains("sts:AssumeRole")).toList();
            if (statements.isEmpty()) {
                continue;
            }
            assuming.add(f.getKey().replaceAll("^Functions([A-Z][a-z]+).*", "$1"));
            var allow = statements.stream().filter(st -> !"Deny".equals(st.get("Effect"))).toList();
            var deny = statements.stream().filter(st -> "Deny".equals(st.get("Effect"))).toList();
            assertEquals(1, allow.size(), f.getKey());
            assertTrue(String.valueOf(allow.get(0).get("Resource")).contains(":iam::*:role/*"), allow.toString());
            assertEquals(1, deny.size(), "this account's roles are denied: " + f.getKey());
            String denied = String.valueOf(deny.get(0).get("Resource"));
            assertTrue(denied.contains("AWS::AccountId") && denied.contains(":role/*"), denied);
        }
        assertEquals(java.util.Set.of("Api", "Fanout", "Inference"), assuming);
        // the pools' workers run executions' files with the customer's role too (issue 27), under the same Deny
        List<String> taskRoles = resources("AWS::ECS::TaskDefinition").values().stream()
                .map(t -> refOf(props(t).get("TaskRoleArn"))).toList();
        assertEquals(4, taskRoles.size());
        for (String role : taskRoles) {
            var statements = byRole.getOrDefault(role, List.of()).stream()
                    .filter(st -> actions(st).contains("sts:AssumeRole")).toList();
            assertEquals(1, statements.stream().filter(st -> "Deny".equals(st.get("Effect"))).count(), role);
            assertEquals(1, statements.stream().filter(st -> !"Deny".equals(st.get("Effect"))
                    && String.valueOf(st.get("Resource")).contains(":iam::*:role/*")).count(), role);
        }
        var api = functions.stream().filter(f -> f.getKey().startsWith("FunctionsApi")).findFirst().orElseThrow();
        String principals = String.valueOf(at(props(api.getValue()), "Environment", "Variables",
                dev.sluice.aws.Components.ROLE_PRINCIPALS));
        assertEquals(7, principals.split("Fn::GetAtt").length - 1, "the three functions' and four task roles' ARNs: "
                + principals);
        taskRoles.forEach(r -> assertTrue(principals.contains(r), r));
        assertTrue(String.valueOf(json.get("Outputs")).contains("ExecutionRolePrincipals"));
    }

    @Test
    void secrets_onlyUnderTheSluicePrefix_taggedByProject_andOnlyTheApiWritesThem() {
        var byRole = statementsByRole();
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        int checked = 0;
        for (var f : functions) {
            boolean api = f.getKey().startsWith("FunctionsApi");
            var statements = byRole.getOrDefault(refOf(props(f.getValue()).get("Role")), List.of());
            java.util.Set<String> granted = new java.util.TreeSet<>();
            for (var st : statements) {
                for (String action : actions(st)) {
                    if (!action.startsWith("secretsmanager:")) {
                        continue;
                    }
                    granted.add(action);
                    checked++;
                    if (action.equals("secretsmanager:ListSecrets")) {
                        continue; // no resource-level permissions: the code filters by prefix and tag
                    }
                    assertTrue(String.valueOf(st.get("Resource")).contains(":secret:sluice/*"), f.getKey() + " " + st);
                    String condition = String.valueOf(st.get("Condition"));
                    assertTrue(condition.contains("Null") && (condition.contains("secretsmanager:ResourceTag/sluice:project")
                            || condition.contains("aws:RequestTag/sluice:project")), f.getKey() + " " + st);
                    if (action.equals("secretsmanager:CreateSecret")) {
                        assertTrue(condition.contains("aws:RequestTag/sluice:project=false"), st.toString());
                    }
                }
            }
            if (api) {
                assertEquals(java.util.Set.of("secretsmanager:CreateSecret", "secretsmanager:TagResource",
                        "secretsmanager:PutSecretValue", "secretsmanager:DeleteSecret", "secretsmanager:GetSecretValue",
                        "secretsmanager:ListSecrets"), granted, f.getKey());
            } else {
                assertFalse(granted.stream().anyMatch(a -> !a.equals("secretsmanager:GetSecretValue")),
                        f.getKey() + " only reads secrets: " + granted);
            }
        }
        assertTrue(checked > 0);
    }

    @Test
    void dataBucket_deniesObjectAccessToEveryPrincipalButTheFunctionsAndGpuWorkersRoles() {
        var policies = resources("AWS::S3::BucketPolicy").values().stream().toList();
        assertEquals(1, policies.size());
        Map<String, Object> deny = ((List<Map<String, Object>>) at(props(policies.get(0)), "PolicyDocument", "Statement"))
                .stream().filter(st -> "OnlySluiceRoles".equals(st.get("Sid"))).findFirst().orElseThrow();
        assertEquals("Deny", deny.get("Effect"));
        assertEquals(Map.of("AWS", "*"), deny.get("Principal"));
        assertTrue(actions(deny).containsAll(List.of("s3:GetObject*", "s3:PutObject*", "s3:ListBucket*",
                "s3:DeleteObject*")), deny.toString());
        String bucket = resources("AWS::S3::Bucket").keySet().stream().filter(k -> k.startsWith("DataBucket"))
                .findFirst().orElseThrow();
        assertTrue(String.valueOf(deny.get("Resource")).contains(bucket) && String.valueOf(deny.get("Resource"))
                .contains("/*"), "the bucket and its objects: " + deny.get("Resource"));
        List<?> allowed = (List<?>) at(deny, "Condition", "ArnNotEquals", "aws:PrincipalArn");
        java.util.Set<String> roles = new java.util.HashSet<>();
        allowed.forEach(r -> roles.add(refOf(r)));
        java.util.Set<String> expected = new java.util.HashSet<>();
        resources("AWS::Lambda::Function").values().stream().filter(f -> "java21".equals(props(f).get("Runtime")))
                .forEach(f -> expected.add(refOf(props(f).get("Role"))));
        resources("AWS::ECS::TaskDefinition").values().forEach(t -> expected.add(refOf(props(t).get("TaskRoleArn"))));
        assertEquals(9, expected.size(), "five functions, the GPU workers (on-demand, spot) and the CPU workers"
                + " (on-demand, spot): " + expected);
        assertEquals(expected, roles);
    }

    @Test
    void functions_areJava21_withSnapStart_invokedThroughTheirPublishedAlias() {
        var functions = resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList();
        assertEquals(5, functions.size());
        for (var f : functions) {
            var p = props(f.getValue());
            assertEquals("PublishedVersions", at(p, "SnapStart", "ApplyOn"), f.getKey());
            assertEquals(Functions.HANDLER, p.get("Handler"));
            assertFalse(p.containsKey("FunctionName"));
            Map<String, Object> env = (Map<String, Object>) at(p, "Environment", "Variables");
            assertTrue(env.keySet().containsAll(dev.sluice.aws.SluiceConfig.REQUIRED_ENV), env.keySet().toString());
            assertEquals(List.of(), env.keySet().stream().filter(v -> v.startsWith("SLUICE_") && !dev.sluice.aws.SluiceConfig.REQUIRED_ENV.contains(v)
                    && !dev.sluice.aws.SluiceConfig.OPTIONAL_ENV.contains(v) && !dev.sluice.aws.Tunables.ENV.contains(v))
                    .toList(), "variables the functions do not read");
        }
        assertTrue(functions.stream().anyMatch(f -> Integer.valueOf(Functions.INFERENCE_DEFAULT.size().memoryMb())
                        .equals(props(f.getValue()).get("MemorySize"))), "the inference function has its own memory size");
        assertEquals(5, resources("AWS::Lambda::Alias").size());
        var rule = props(resources("AWS::Events::Rule").values().iterator().next());
        assertEquals("rate(1 minute)", rule.get("ScheduleExpression"), "the scheduler runs every minute");
    }

    /**
     * SnapStart serves only published versions: every invoker (the three SQS event sources, the HTTP API's
     * integration, the schedule) names a "live" alias, never the unqualified function ($LATEST, which starts cold with
     * no snapshot); and no SnapStart function asks for more than 512 MB of /tmp, which SnapStart does not support
     * (https://docs.aws.amazon.com/lambda/latest/dg/snapstart.html, "Supported features and limitations").
     */
    @Test
    void snapStart_everyInvokerUsesTheLiveAlias_andTmpStaysAtTheSnapStartLimit() {
        var functions = resources("AWS::Lambda::Function");
        var aliases = resources("AWS::Lambda::Alias");
        aliases.values().forEach(a -> assertEquals("live", props(a).get("Name")));
        List<Object> invokers = new ArrayList<>();
        resources("AWS::Lambda::EventSourceMapping").values().forEach(m -> invokers.add(props(m).get("FunctionName")));
        resources("AWS::ApiGatewayV2::Integration").values().forEach(i -> invokers.add(props(i).get("IntegrationUri")));
        resources("AWS::Events::Rule").values().forEach(r -> ((List<?>) props(r).get("Targets"))
                .forEach(t -> invokers.add(((Map<?, ?>) t).get("Arn"))));
        assertEquals(5, invokers.size(), "three event sources, the API's integration, the schedule: " + invokers);
        for (Object invoker : invokers) {
            assertNotNull(findRef(invoker, aliases.keySet()), "invokes an alias: " + invoker);
            assertEquals(null, findRef(invoker, functions.keySet()), "never the unqualified function: " + invoker);
        }
        for (var f : functions.values()) {
            Object tmp = at(props(f), "EphemeralStorage", "Size");
            assertTrue(tmp == null || ((Number) tmp).intValue() <= 512, "SnapStart with /tmp of " + tmp + " MB");
        }
    }

    /**
     * Issue 26: the inference function's default memory size and architecture are the cheapest per photo by the
     * bench's recorded measurement of the inference stage (LambdaSizing), and every function runs on the architecture
     * its package's natives are for.
     */
    @Test
    void inferenceDefault_isTheCheapestMeasuredSize() {
        var m = dev.sluice.core.usage.LambdaSizing.recorded();
        var prices = dev.sluice.core.usage.LambdaSizing.prices("us-east-1");
        var cheapest = dev.sluice.core.usage.LambdaSizing.cheapest(m, prices);
        for (var e : dev.sluice.core.usage.LambdaSizing.estimates(m, prices)) {
            assertTrue(!e.measured() || e.usdPerMillion() >= cheapest.usdPerMillion(), e + " is cheaper than " + cheapest);
        }
        assertEquals(dev.sluice.core.usage.LambdaSizing.Architecture.X86_64, cheapest.architecture(),
                "the packages hold linux x86_64 natives only");
        var inference = resources("AWS::Lambda::Function").values().stream()
                .filter(f -> Integer.valueOf(cheapest.size().memoryMb()).equals(props(f).get("MemorySize"))).toList();
        assertEquals(1, inference.size(), "one function (inference) at " + cheapest.size().memoryMb() + " MB");
        resources("AWS::Lambda::Function").values().stream().filter(f -> "java21".equals(props(f).get("Runtime")))
                .forEach(f -> assertEquals(List.of("x86_64"), props(f).get("Architectures")));
    }

    @Test
    void httpApi_routesV1ToTheApiFunction() {
        assertEquals("HTTP", props(resources("AWS::ApiGatewayV2::Api").values().iterator().next()).get("ProtocolType"));
        assertTrue(resources("AWS::ApiGatewayV2::Route").values().stream()
                .anyMatch(r -> "ANY /v1/{proxy+}".equals(props(r).get("RouteKey"))));
    }

    /** The web console is served by the api function beside the API: GET / and GET /console/… only, same integration. */
    @Test
    void httpApi_servesTheConsoleFromTheApiFunction_getOnly_throughTheApiIntegration() {
        var routes = resources("AWS::ApiGatewayV2::Route").values().stream().map(SluiceStackTest::props).toList();
        var byKey = new java.util.HashMap<String, Object>();
        routes.forEach(r -> byKey.put((String) r.get("RouteKey"), r.get("Target")));
        assertTrue(byKey.containsKey("GET /") && byKey.containsKey("GET /console/{proxy+}"), byKey.keySet().toString());
        assertEquals(byKey.get("ANY /v1/{proxy+}"), byKey.get("GET /"), "the same integration as the API");
        assertEquals(byKey.get("ANY /v1/{proxy+}"), byKey.get("GET /console/{proxy+}"));
        assertTrue(routes.stream().noneMatch(r -> r.get("RouteKey").toString().matches("(ANY|POST|PUT|DELETE) /(console.*)?")),
                "the console's paths take GET only");
        assertEquals(1, resources("AWS::ApiGatewayV2::Integration").size(), "one integration: the api function's");
        // the console's uploads: a browser PUT to a presigned URL of the data bucket, and nothing else cross-origin
        var cors = resources("AWS::S3::Bucket").values().stream().map(b -> at(props(b), "CorsConfiguration", "CorsRules"))
                .filter(java.util.Objects::nonNull).toList();
        assertEquals(List.of(List.of(Map.of("AllowedMethods", List.of("PUT"), "AllowedOrigins", List.of("*"),
                "AllowedHeaders", List.of("content-type", "if-none-match"), "MaxAge", 3600))), cors);
    }

    @Test
    void gpuPool_runsOnGpuInstances_withManagedScaling_andScalesTasksOnTheBacklogDownToZero() {
        var provider = props(resources("AWS::ECS::CapacityProvider").values().iterator().next());
        assertEquals("ENABLED", at(provider, "AutoScalingGroupProvider", "ManagedScaling", "Status"));
        assertTrue(at(json, "Parameters").toString().contains("amazon-linux-2023/gpu/recommended"),
                "the current ECS-optimized Amazon Linux 2023 GPU AMI");
        var container = at(resources("AWS::ECS::TaskDefinition").entrySet().stream()
                .filter(e -> e.getKey().startsWith("GpuPool")).findFirst().map(e -> props(e.getValue())).orElseThrow(),
                "ContainerDefinitions", "0");
        assertEquals(List.of(Map.of("Type", "GPU", "Value", "1")), at(container, "ResourceRequirements"));
        assertEquals(120, at(container, "StopTimeout"));
        var target = props(resources("AWS::ApplicationAutoScaling::ScalableTarget").values().iterator().next());
        assertEquals(0, target.get("MinCapacity"));
        var policy = props(resources("AWS::ApplicationAutoScaling::ScalingPolicy").values().iterator().next());
        assertEquals("ExactCapacity", at(policy, "StepScalingPolicyConfiguration", "AdjustmentType"));
        assertTrue(template.toJSON().toString().contains("ApproximateNumberOfMessagesNotVisible"),
                "backlog = visible + in flight");
    }

    /**
     * Issue 27: each pool has an on-demand and a spot service, each on its own queue of executions' file tasks with
     * its own capacity provider (GPU: two auto-scaling groups, the spot one with spot instance draining; CPU: FARGATE
     * and FARGATE_SPOT), each scaled on its queue's backlog from zero, each worker told its pool and granted its queue;
     * the functions are told the pools' queues and instances.
     */
    @Test
    void pools_haveOnDemandAndSpotCapacity_eachServiceOnItsOwnQueue_scaledFromZero_andGrantedIt() {
        Map<String, Object> strategies = new java.util.TreeMap<>();
        resources("AWS::ECS::Service").forEach((id, r) -> strategies.put(id, at(props(r), "CapacityProviderStrategy", "0",
                "CapacityProvider")));
        assertEquals(4, strategies.size(), strategies.toString());
        assertEquals(List.of("FARGATE", "FARGATE_SPOT"), strategies.entrySet().stream()
                .filter(e -> e.getKey().startsWith("CpuPool")).map(e -> e.getValue().toString()).toList());
        var gpuProviders = resources("AWS::ECS::CapacityProvider");
        assertEquals(2, gpuProviders.size());
        assertTrue(template.toJSON().toString().contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true"),
                "the spot hosts drain their tasks (SIGTERM) on an interruption notice");
        assertTrue(template.toJSON().toString().contains("SpotPrice") || template.toJSON().toString()
                .contains("SpotOptions"), "the spot hosts are spot instances");
        var cpuAssoc = props(resources("AWS::ECS::ClusterCapacityProviderAssociations").values().stream()
                .filter(a -> at(props(a), "CapacityProviders").toString().contains("FARGATE_SPOT")).findFirst().orElseThrow());
        assertTrue(at(cpuAssoc, "CapacityProviders").toString().contains("FARGATE"), cpuAssoc.toString());
        // SLUICE_POOL of each worker's container
        List<String> pools = new ArrayList<>();
        resources("AWS::ECS::TaskDefinition").values().forEach(t -> ((List<Map<String, Object>>) at(props(t),
                "ContainerDefinitions", "0", "Environment")).stream().filter(v -> "SLUICE_POOL".equals(v.get("Name")))
                .forEach(v -> pools.add(v.get("Value").toString())));
        java.util.Collections.sort(pools);
        assertEquals(List.of("cpu", "cpu-spot", "gpu", "gpu-spot"), pools);
        // four scalable targets from zero, one backlog policy each, over exactly the service's queues
        var targets = resources("AWS::ApplicationAutoScaling::ScalableTarget");
        assertEquals(4, targets.size());
        targets.values().forEach(t -> assertEquals(0, props(t).get("MinCapacity")));
        assertEquals(8, resources("AWS::ApplicationAutoScaling::ScalingPolicy").size(), "a step policy out and one in, per service");
        for (String queue : List.of("GpuTasks", "GpuSpotTasks", "CpuTasks", "CpuSpotTasks")) {
            assertEquals(1, resources("AWS::SQS::Queue").keySet().stream().filter(k -> k.startsWith("Queues" + queue)
                    && !k.contains("Dlq")).count(), queue);
            String env = "SLUICE_" + queue.replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase() + "_QUEUE_URL";
            assertTrue(template.toJSON().toString().contains(env), env);
        }
        // a spot CPU worker's role consumes its own queue and not the on-demand one
        String spotRole = resources("AWS::IAM::Policy").entrySet().stream()
                .filter(e -> e.getKey().startsWith("CpuPoolSpotTaskTaskRoleDefaultPolicy")).map(e -> e.getValue().toString())
                .findFirst().orElseThrow();
        assertTrue(spotRole.contains("QueuesCpuSpotTasks") && !spotRole.contains("QueuesCpuTasks"), spotRole);
        assertTrue(spotRole.contains("sqs:ReceiveMessage") && spotRole.contains("s3:AbortMultipartUpload"), spotRole);
        String functionEnv = resources("AWS::Lambda::Function").values().iterator().next().toString();
        assertTrue(functionEnv.contains("SLUICE_LAMBDA_INSTANCES="
                + Functions.INFERENCE_DEFAULT.size().memoryMb()) && functionEnv.contains("SLUICE_CPU_INSTANCES=2vcpu-4gb")
                && functionEnv.contains("SLUICE_GPU_INSTANCES=g4dn.xlarge"), functionEnv);
    }

    /**
     * Issue 14: s3:// items are read from the buckets of context itemBuckets by exactly their names (inference and the
     * GPU pool, GetObject only); the functions are told the allowed names, which never include the data bucket.
     */
    @Test
    void itemBuckets_areGrantedByName_toInferenceAndTheGpuPool_andNamedInEveryEnvironment() {
        var byRole = policiesByRole();
        for (var f : resources("AWS::Lambda::Function").entrySet().stream()
                .filter(e -> "java21".equals(props(e.getValue()).get("Runtime"))).toList()) {
            String statements = byRole.getOrDefault(refOf(props(f.getValue()).get("Role")), "");
            assertEquals(f.getKey().startsWith("FunctionsInference"), statements.contains("arn:aws:s3:::customer-photos/*"),
                    f.getKey());
            assertEquals("customer-photos", at(props(f.getValue()), "Environment", "Variables", "SLUICE_ITEM_BUCKETS"));
            assertEquals("customer-data,customer-results",
                    at(props(f.getValue()), "Environment", "Variables", "SLUICE_EXECUTION_BUCKETS"));
        }
        var task = props(resources("AWS::ECS::TaskDefinition").values().iterator().next());
        assertTrue(byRole.getOrDefault(refOf(task.get("TaskRoleArn")), "").contains("arn:aws:s3:::customer-photos/*"),
                "the GPU pool reads items too");
        assertTrue(at(task, "ContainerDefinitions", "0", "Environment").toString().contains("customer-photos"));
        int itemStatements = 0;
        for (var policy : resources("AWS::IAM::Policy").values()) {
            for (Object statement : (List<?>) at(props(policy), "PolicyDocument", "Statement")) {
                Map<?, ?> st = (Map<?, ?>) statement;
                if (String.valueOf(st.get("Resource")).contains("customer-photos")) {
                    assertEquals("s3:GetObject", st.get("Action"), "items are read, never listed or written");
                    assertEquals(List.of("arn:aws:s3:::customer-photos/*"), st.get("Resource") instanceof List<?> l ? l
                            : List.of(st.get("Resource")), "exactly the named bucket");
                    itemStatements++;
                }
            }
        }
        assertEquals(5, itemStatements, "inference and the four pool task roles");
    }

    @Test
    void iam_isLeastPrivilege_noWildcardActions_noWildcardDataResources() {
        for (var policy : resources("AWS::IAM::Policy").entrySet()) {
            for (Object statement : (List<?>) at(props(policy.getValue()), "PolicyDocument", "Statement")) {
                Object actions = at(statement, "Action");
                List<?> list = actions instanceof List<?> l ? l : List.of(actions);
                assertFalse(list.contains("*"), policy.getKey());
                boolean data = list.stream().anyMatch(a -> a.toString().matches("(dynamodb|sqs|s3):.*"));
                assertFalse(data && "*".equals(at(statement, "Resource")), policy.getKey() + " " + statement);
            }
        }
    }

    @Test
    void alarms_onEveryDlqAndEveryFunctionsErrors() {
        var alarms = resources("AWS::CloudWatch::Alarm");
        assertEquals(8, alarms.values().stream().filter(a -> "ApproximateNumberOfMessagesVisible".equals(props(a).get("MetricName"))).count(),
                "the DLQs of fanout, inference, inference-gpu, delivery and the four pool queues");
        assertEquals(5, alarms.values().stream().filter(a -> "Errors".equals(props(a).get("MetricName"))).count());
    }

    @Test
    void dashboard_showsEveryEmfMetric_queueAges_dlqDepths_andFunctionErrors() throws Exception {
        var dashboards = resources("AWS::CloudWatch::Dashboard");
        assertEquals(1, dashboards.size());
        String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                props(dashboards.values().iterator().next()).get("DashboardBody"));
        for (dev.sluice.core.observe.Metric m : dev.sluice.core.observe.Metric.values()) {
            assertTrue(body.contains("MetricName=\\\\\\\"" + m.metricName() + "\\\\\\\""), m.metricName());
        }
        assertTrue(body.contains("{Sluice,Function,Stage,Outcome}"), "items by stage and outcome");
        assertTrue(body.contains("ApproximateAgeOfOldestMessage"), "oldest message age");
        assertTrue(body.contains("ApproximateNumberOfMessagesVisible"), "DLQ depth");
        assertFalse(body.contains("job_") || body.contains("JobId") || body.contains("ProjectId"), "no id dimension");
    }

    @Test
    void alarms_onTheInferenceErrorRate_andEveryWorkQueuesOldestMessage() {
        var alarms = resources("AWS::CloudWatch::Alarm");
        var ages = alarms.values().stream().filter(a -> "ApproximateAgeOfOldestMessage".equals(props(a).get("MetricName"))).toList();
        assertEquals(4, ages.size(), "fanout, inference, inference-gpu, delivery");
        ages.forEach(a -> {
            assertEquals((double) OperationsDashboard.OLDEST_MESSAGE_SECONDS, ((Number) props(a).get("Threshold")).doubleValue());
            assertEquals("Maximum", props(a).get("Statistic"));
            assertFalse(((List<?>) props(a).get("AlarmActions")).isEmpty(), "sends to the alarm topic");
        });
        var rate = alarms.values().stream().filter(a -> props(a).get("Metrics") != null
                && props(a).get("Metrics").toString().contains("Items")).toList();
        assertEquals(1, rate.size());
        Map<String, Object> p = props(rate.get(0));
        assertEquals(OperationsDashboard.ERROR_RATE_PERCENT, ((Number) p.get("Threshold")).doubleValue());
        assertEquals(OperationsDashboard.ERROR_RATE_PERIODS, ((Number) p.get("EvaluationPeriods")).intValue());
        assertEquals("notBreaching", p.get("TreatMissingData"));
        List<Map<String, Object>> queries = (List<Map<String, Object>>) p.get("Metrics");
        String expression = queries.stream().filter(q -> q.get("Expression") != null).findFirst().orElseThrow()
                .get("Expression").toString();
        assertTrue(expression.startsWith("100 * ("), expression);
        java.util.Set<String> outcomes = new java.util.TreeSet<>();
        java.util.Set<String> functions = new java.util.TreeSet<>();
        for (Map<String, Object> q : queries) {
            Object stat = at(q, "MetricStat");
            if (stat == null) {
                continue;
            }
            assertEquals("Sluice", at(stat, "Metric", "Namespace"));
            assertEquals("Items", at(stat, "Metric", "MetricName"));
            for (Object d : (List<?>) at(stat, "Metric", "Dimensions")) {
                Map<?, ?> dim = (Map<?, ?>) d;
                if ("Outcome".equals(dim.get("Name"))) {
                    outcomes.add(dim.get("Value").toString());
                } else if ("Function".equals(dim.get("Name"))) {
                    functions.add(dim.get("Value").toString());
                }
            }
        }
        assertEquals(java.util.Set.of("gathered", "failedGather", "failedProcess", "failedPredict"), outcomes);
        assertEquals(java.util.Set.of("inference", "gpu-worker"), functions);
    }

    @Test
    void backlogSteps_areContiguous_fromZeroTasksToTheMaximum() {
        var steps = GpuPool.steps(4, 100);
        assertEquals(0, steps.get(0).getChange());
        assertEquals(4, steps.get(steps.size() - 1).getChange());
        for (int i = 2; i < steps.size(); i++) {
            assertEquals(steps.get(i - 1).getUpper(), steps.get(i).getLower());
        }
    }
}
