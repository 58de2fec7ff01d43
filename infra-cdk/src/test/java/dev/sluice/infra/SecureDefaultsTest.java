package dev.sluice.infra;

import io.github.cdklabs.cdknag.AwsSolutionsChecks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.Aspects;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.assertions.Annotations;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.sluice.infra.SluiceStackTest.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28: what a deployment with no context at all gets (secure and cheap by default), checked resource by resource,
 * and cdk-nag's AwsSolutions pack with and without the GPU pool (every suppression is justified in {@link Checks}).
 */
@SuppressWarnings("unchecked")
class SecureDefaultsTest {
    static Deployed defaults;
    static Deployed withGpu;

    record Deployed(SluiceStack stack, Template template, Map<String, Object> json) {
        Map<String, Map<String, Object>> resources(String type) {
            return (Map<String, Map<String, Object>>) (Map<?, ?>) template.findResources(type);
        }
    }

    static Deployed synth(Map<String, Object> context) {
        Map<String, Object> all = new HashMap<>(context);
        all.put("functionsDir", "../functions");
        App app = new App(AppProps.builder().context(all).build());
        SluiceStack stack = new SluiceStack(app, "Test", StackProps.builder().build(), SluiceStack.Settings.from(app));
        Aspects.of(app).add(new AwsSolutionsChecks());
        Template template = Template.fromStack(stack);
        return new Deployed(stack, template, (Map<String, Object>) template.toJSON());
    }

    /** The GPU workers' image: an ECR repository of another account and region, pinned by digest. */
    static final String WORKER_IMAGE = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/sluice-gpu-worker@sha256:"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static Deployed defaultsOnce;
    private static Deployed withGpuOnce;

    /** With no context at all; synthesized once per JVM (each synthesis takes seconds: LeastPrivilegeTest shares it). */
    static synchronized Deployed defaults() {
        if (defaultsOnce == null) {
            defaultsOnce = synth(Map.of());
        }
        return defaultsOnce;
    }

    /** With the GPU pool, an execution bucket and every API throttle tuned; synthesized once per JVM. */
    static synchronized Deployed withGpu() {
        if (withGpuOnce == null) {
            withGpuOnce = synth(Map.of("gpuPool", "true", "apiRateLimit", "7", "apiBurstLimit", "9",
                    "apiCreateRateLimit", "3", "apiCreateBurstLimit", "4", "apiReadRateLimit", "30",
                    "apiReadBurstLimit", "40", "executionBuckets", "customer-results", "gpuWorkerImage", WORKER_IMAGE));
        }
        return withGpuOnce;
    }

    @BeforeAll
    static void synthesize() {
        defaults = defaults();
        withGpu = withGpu();
    }

    static Map<String, Object> props(Map<String, Object> resource) {
        return (Map<String, Object>) resource.get("Properties");
    }

    @Test
    void cdkNag_awsSolutions_hasNoUnsuppressedFinding_withOrWithoutTheGpuPool() {
        List<String> findings = new java.util.ArrayList<>();
        for (Deployed d : List.of(defaults, withGpu)) {
            var annotations = Annotations.fromStack(d.stack());
            var all = new java.util.ArrayList<>(annotations.findError("*", Match.stringLikeRegexp("AwsSolutions-.*")));
            all.addAll(annotations.findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*")));
            all.forEach(m -> findings.add(m.getId() + ": " + String.valueOf(m.getEntry().getData()).split(":")[0]));
        }
        assertEquals(List.of(), findings);
    }

    @Test
    void gpuPool_isOptIn_noVpcNatOrInstancesByDefault() {
        for (String type : List.of("AWS::EC2::VPC", "AWS::EC2::NatGateway", "AWS::ECS::Cluster",
                "AWS::AutoScaling::AutoScalingGroup", "AWS::EC2::LaunchTemplate")) {
            assertEquals(0, defaults.resources(type).size(), type);
        }
        assertEquals(1, withGpu.resources("AWS::EC2::NatGateway").size());
        var launch = new java.util.ArrayList<>(withGpu.resources("AWS::EC2::LaunchTemplate").values());
        launch.addAll(withGpu.resources("AWS::AutoScaling::LaunchConfiguration").values());
        assertEquals(2, launch.size(), "the GPU pool's on-demand and spot hosts");
        for (var template : launch) {
            var metadata = props(template).containsKey("LaunchTemplateData")
                    ? at(props(template), "LaunchTemplateData", "MetadataOptions")
                    : at(props(template), "MetadataOptions");
            assertEquals("required", at(metadata, "HttpTokens"), "IMDSv2 only");
        }
        assertTrue(withGpu.json().get("Parameters").toString()
                .contains("/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id"));
        assertFalse(withGpu.json().get("Parameters").toString().contains("amazon-linux-2/"));
    }

    @Test
    void api_throttlesEveryRoute_configurably_andWritesJsonAccessLogs() throws Exception {
        var stage = props(defaults.resources("AWS::ApiGatewayV2::Stage").values().iterator().next());
        assertEquals("$default", stage.get("StageName"));
        assertEquals(50, ((Number) at(stage, "DefaultRouteSettings", "ThrottlingRateLimit")).intValue());
        assertEquals(100, at(stage, "DefaultRouteSettings", "ThrottlingBurstLimit"));
        String format = (String) at(stage, "AccessLogSettings", "Format");
        Map<String, Object> line = new com.fasterxml.jackson.databind.ObjectMapper().readValue(format, Map.class);
        assertEquals("$context.requestId", line.get("requestId"));
        assertEquals("$context.status", line.get("status"));
        assertFalse(format.contains("authorization"), "never a header: the API key stays out of the logs");
        String logGroup = SluiceStackTest.refOf(at(stage, "AccessLogSettings", "DestinationArn"));
        assertTrue(defaults.resources("AWS::Logs::LogGroup").containsKey(logGroup));

        var tuned = props(withGpu.resources("AWS::ApiGatewayV2::Stage").values().iterator().next());
        assertEquals(7, ((Number) at(tuned, "DefaultRouteSettings", "ThrottlingRateLimit")).intValue());
        assertEquals(9, at(tuned, "DefaultRouteSettings", "ThrottlingBurstLimit"));
    }

    @Test
    void waf_isRefusedWithTheReason_becauseHttpApisCannotHaveAWebAcl() {
        var e = assertThrows(RuntimeException.class, () -> synth(Map.of("waf", "true")));
        assertTrue(String.valueOf(e.getMessage()).contains("AWS WAF cannot be associated with an API Gateway HTTP API"),
                e.getMessage());
    }

    @Test
    void everythingIsEncryptedAtRest_andBucketsAndQueuesAreTlsOnly() {
        for (Deployed d : List.of(defaults, withGpu)) {
            for (var table : d.resources("AWS::DynamoDB::Table").values()) {
                assertEquals(true, at(props(table), "SSESpecification", "SSEEnabled"));
            }
            for (var queue : d.resources("AWS::SQS::Queue").values()) {
                assertEquals(true, props(queue).get("SqsManagedSseEnabled"));
            }
            for (var bucket : d.resources("AWS::S3::Bucket").values()) {
                assertEquals("AES256", at(props(bucket), "BucketEncryption", "ServerSideEncryptionConfiguration", "0",
                        "ServerSideEncryptionByDefault", "SSEAlgorithm"));
                Map<String, Object> block = (Map<String, Object>) props(bucket).get("PublicAccessBlockConfiguration");
                assertEquals(4, block.values().stream().filter(Boolean.TRUE::equals).count());
            }
            // every bucket and queue, and the alarm topic, has a policy that denies requests without TLS
            Map<String, String> policyOf = Map.of("AWS::S3::Bucket", "AWS::S3::BucketPolicy",
                    "AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::SNS::Topic", "AWS::SNS::TopicPolicy");
            policyOf.forEach((type, policyType) -> {
                for (String id : d.resources(type).keySet()) {
                    if (type.equals("AWS::SNS::Topic") && !id.startsWith("ObservabilityAlarms")) {
                        continue; // the GPU pool's drain-hook topic is CDK's (see Checks: AwsSolutions-SNS3)
                    }
                    assertTrue(d.resources(policyType).values().stream().anyMatch(p -> p.toString().contains(id)
                            && p.toString().contains("aws:SecureTransport=false")), id + " is TLS-only");
                }
            });
        }
    }

    @Test
    void everyLogGroupHasARetention() {
        for (Deployed d : List.of(defaults, withGpu)) {
            var groups = d.resources("AWS::Logs::LogGroup");
            assertTrue(groups.size() >= 6, "five functions and the API's access log");
            groups.forEach((id, g) -> assertEquals(30, props(g).get("RetentionInDays"), id));
            // every function and the GPU worker log to one of these groups, none to an implicit group kept forever
            for (var fn : d.resources("AWS::Lambda::Function").values()) {
                if ("java21".equals(props(fn).get("Runtime"))) {
                    assertTrue(groups.containsKey(SluiceStackTest.refOf(at(props(fn), "LoggingConfig", "LogGroup"))));
                }
            }
        }
        var container = at(props(withGpu.resources("AWS::ECS::TaskDefinition").values().iterator().next()),
                "ContainerDefinitions", "0", "LogConfiguration", "Options", "awslogs-group");
        assertTrue(withGpu.resources("AWS::Logs::LogGroup").containsKey(SluiceStackTest.refOf(container)));
    }

    /** Issue 28, item 5: a destroy, or an update that replaces them, never deletes the tables or the data bucket. */
    @Test
    void tablesAndTheDataBucket_areRetainedOnDeleteAndReplacement() {
        var retained = new java.util.ArrayList<Map<String, Object>>();
        retained.addAll(defaults.resources("AWS::DynamoDB::Table").values());
        retained.addAll(defaults.resources("AWS::S3::Bucket").values());
        assertEquals(6, retained.size(), "five tables and the data bucket");
        for (var r : retained) {
            assertEquals("Retain", r.get("DeletionPolicy"));
            assertEquals("Retain", r.get("UpdateReplacePolicy"));
        }
    }

    @Test
    void outputs_nameEverythingAnOperatorNeeds() {
        Map<String, Object> outputs = (Map<String, Object>) defaults.json().get("Outputs");
        for (String name : List.of("ApiUrl", "DataBucketName", "JobsTable", "CatalogTable", "KeysTable", "LedgerTable",
                "LogsTable", "FanoutQueueUrl", "InferenceQueueUrl", "InferenceGpuQueueUrl", "DeliveryQueueUrl",
                "FanoutDlqUrl", "InferenceDlqUrl", "InferenceGpuDlqUrl", "DeliveryDlqUrl", "AlarmTopicArn",
                "ApiAccessLogGroup")) {
            assertTrue(outputs.containsKey(name), name + " in " + outputs.keySet());
        }
        assertEquals(Map.of("Ref", SluiceStackTest.findRef(outputs.get("KeysTable"),
                defaults.resources("AWS::DynamoDB::Table").keySet())), at(outputs, "KeysTable", "Value"));
    }

    @Test
    void stage_namesTheStack_andABadStageIsRefused() {
        assertEquals("Sluice", SluiceApp.stackName(null));
        assertEquals("Sluice-prod", SluiceApp.stackName("prod"));
        assertThrows(IllegalArgumentException.class, () -> SluiceApp.stackName("prod stack"));
        assertThrows(IllegalArgumentException.class, () -> SluiceApp.stackName("-x"));
    }

    /**
     * Issue 28 item 2: each function and the GPU workers reach only the data bucket's prefixes they use, never the
     * whole bucket ({@link Access#prefixes}); read-only where they only read.
     */
    @Test
    void eachFunction_reachesOnlyTheDataBucketPrefixesItUses() {
        Map<String, Map<String, String>> expected = Map.of(
                "Api", Map.of("datasets/*", "rw", "models/*", "rw", "executions/*", "rw", "deliveries/*", "rw", "results/*", "rw"),
                "Fanout", Map.of("datasets/*", "rw", "executions/*", "rw", "results/*", "rw"),
                "Inference", Map.of("models/*", "r", "executions/*", "r", "results/*", "rw"),
                "Delivery", Map.of("deliveries/*", "w", "results/*", "rw"),
                "Scheduler", Map.of("datasets/*", "rw", "executions/*", "rw", "models/*", "r", "results/*", "rw"));
        Map<String, Map<String, Object>> functions = defaults.resources("AWS::Lambda::Function");
        for (var e : expected.entrySet()) {
            String fn = functions.keySet().stream().filter(id -> id.matches("Functions" + e.getKey() + "[0-9A-F]{8}"))
                    .findFirst().orElseThrow(() -> new AssertionError("no function " + e.getKey() + ": " + functions.keySet()));
            String role = (String) ((List<Object>) ((Map<String, Object>) props(functions.get(fn)).get("Role"))
                    .get("Fn::GetAtt")).get(0);
            assertEquals(e.getValue(), dataBucketGrants(defaults, role), e.getKey());
        }
        String taskRole = withGpu.resources("AWS::IAM::Role").keySet().stream()
                .filter(id -> id.startsWith("GpuPool") && id.contains("TaskRole")).findFirst().orElseThrow();
        // the GPU workers run jobs' batches and executions' files (issue 27): executions' file lists are read too
        assertEquals(Map.of("models/*", "r", "executions/*", "r", "results/*", "rw"), dataBucketGrants(withGpu, taskRole),
                "GPU workers");
    }

    /** The object patterns of the data bucket a role's policies grant: "r", "w" or "rw" per pattern. */
    static Map<String, String> dataBucketGrants(Deployed d, String role) {
        String bucket = d.resources("AWS::S3::Bucket").keySet().stream()
                .filter(id -> id.startsWith("DataBucket") || id.matches("Data.*Bucket[0-9A-F]{8}"))
                .filter(id -> !id.contains("Log")).findFirst().orElseThrow();
        Map<String, java.util.Set<String>> kinds = new java.util.TreeMap<>();
        for (var policy : d.resources("AWS::IAM::Policy").values()) {
            if (!props(policy).get("Roles").toString().contains(role)) {
                continue;
            }
            for (Object st : (List<Object>) at(props(policy), "PolicyDocument", "Statement")) {
                Map<String, Object> statement = (Map<String, Object>) st;
                Object r = statement.get("Resource");
                List<Object> resources = r instanceof List<?> l ? (List<Object>) l : List.of(r);
                Object a = statement.get("Action");
                List<Object> actions = a instanceof List<?> l ? (List<Object>) l : List.of(a);
                for (Object res : resources) {
                    if (!(res instanceof Map<?, ?> m) || !m.containsKey("Fn::Join")) {
                        continue;
                    }
                    List<Object> parts = (List<Object>) ((List<Object>) m.get("Fn::Join")).get(1);
                    if (!parts.get(0).toString().contains(bucket) || parts.size() != 2) {
                        continue;
                    }
                    String pattern = parts.get(1).toString().substring(1);
                    assertFalse(pattern.equals("*"), role + " reaches the whole data bucket");
                    for (Object action : actions) {
                        String act = action.toString();
                        if (act.startsWith("s3:GetObject")) {
                            kinds.computeIfAbsent(pattern, k -> new java.util.TreeSet<>()).add("r");
                        } else if (act.startsWith("s3:PutObject") || act.startsWith("s3:DeleteObject")) {
                            kinds.computeIfAbsent(pattern, k -> new java.util.TreeSet<>()).add("w");
                        }
                    }
                }
            }
        }
        Map<String, String> out = new java.util.TreeMap<>();
        kinds.forEach((k, v) -> out.put(k, String.join("", v)));
        return out;
    }
}
