package dev.sluice.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.aws.SluiceConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keeps template.yaml consistent with the code: modules, handlers, environment, queues. */
class SamTemplateTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static JsonNode template;

    @BeforeAll
    static void read() throws IOException {
        template = new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("template.yaml").toFile());
    }

    static List<Map.Entry<String, JsonNode>> resources(String type) {
        List<Map.Entry<String, JsonNode>> found = new ArrayList<>();
        template.get("Resources").fields().forEachRemaining(e -> {
            if (type.equals(e.getValue().path("Type").asText())) {
                found.add(e);
            }
        });
        return found;
    }

    @Test
    void everyFunction_isAModuleWithExactlyOneLambdaHandler_builtToItsCodeUri() throws IOException {
        var functions = resources("AWS::Serverless::Function");
        assertEquals(5, functions.size());
        for (var f : functions) {
            String codeUri = f.getValue().path("Properties").path("CodeUri").asText();
            assertTrue(codeUri.matches("functions/[a-z-]+/target/function.zip"), codeUri);
            Path module = ROOT.resolve(codeUri).getParent().getParent();
            assertTrue(Files.isRegularFile(module.resolve("pom.xml")), module + " is a Maven module");
            List<Path> handlers = new ArrayList<>();
            try (Stream<Path> files = Files.walk(module.resolve("src/main/java"))) {
                for (Path p : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    if (Files.readString(p).contains("implements RequestHandler<")) {
                        handlers.add(p);
                    }
                }
            }
            assertEquals(1, handlers.size(), module + " has one handler (Quarkus picks it): " + handlers);
        }
        assertEquals(Functions.HANDLER, template.at("/Globals/Function/Handler").asText());
        assertEquals("java21", template.at("/Globals/Function/Runtime").asText());
        assertEquals("PublishedVersions", template.at("/Globals/Function/SnapStart/ApplyOn").asText());
        // the inference function's defaults are the CDK app's: the cheapest measured size (issue 26)
        assertEquals(Functions.INFERENCE_DEFAULT.size().memoryMb(), template.at("/Parameters/InferenceMemorySize/Default").asInt());
        assertEquals(Functions.INFERENCE_DEFAULT.architecture().wire(), template.at("/Globals/Function/Architectures/0").asText());
    }

    @Test
    void everyFunctionsEnvironment_namesWhatTheCodeReads() {
        Set<String> env = new HashSet<>();
        template.at("/Globals/Function/Environment/Variables").fieldNames().forEachRemaining(env::add);
        assertTrue(env.containsAll(SluiceConfig.REQUIRED_ENV), "missing: " + SluiceConfig.REQUIRED_ENV.stream()
                .filter(v -> !env.contains(v)).toList());
        assertEquals(List.of(), env.stream().filter(v -> v.startsWith("SLUICE_") && !SluiceConfig.REQUIRED_ENV.contains(v)
                && !SluiceConfig.OPTIONAL_ENV.contains(v) && !dev.sluice.aws.Tunables.ENV.contains(v)).toList(),
                "variables the functions do not read");
    }

    /** Job events: every function may put them on the default bus (as in CDK), and is told its name. */
    /** Issue 28 item 5: `sam delete` or a replacement keeps every project's data, as the CDK app's RETAIN does. */
    @Test
    void theTablesAndTheDataBucket_areRetained_onDeleteAndReplace() {
        var kept = new ArrayList<String>();
        for (String type : List.of("AWS::DynamoDB::Table", "AWS::S3::Bucket")) {
            for (var e : resources(type)) {
                assertEquals("Retain", e.getValue().path("DeletionPolicy").asText(), e.getKey());
                assertEquals("Retain", e.getValue().path("UpdateReplacePolicy").asText(), e.getKey());
                kept.add(e.getKey());
            }
        }
        assertEquals(6, kept.size(), "five tables and the data bucket: " + kept);
    }

    @Test
    void everyFunction_putsJobEventsOnTheDefaultBus() {
        assertEquals("default", template.at("/Globals/Function/Environment/Variables/SLUICE_EVENT_BUS_NAME").asText());
        int functions = 0;
        for (var e : (Iterable<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>>) () -> template.path("Resources").fields()) {
            if (!"AWS::Serverless::Function".equals(e.getValue().path("Type").asText())) {
                continue;
            }
            functions++;
            boolean puts = false;
            for (var policy : e.getValue().path("Properties").path("Policies")) {
                puts |= "default".equals(policy.path("EventBridgePutEventsPolicy").path("EventBusName").asText());
            }
            assertTrue(puts, e.getKey() + " may put job events");
        }
        assertEquals(5, functions);
    }

    /**
     * Issue 14: the allowed buckets are parameters (comma-separated names) that the functions are told and that IAM
     * grants by exactly those names; with none given, nothing is granted (no fallback to the data bucket).
     */
    @Test
    void itemAndExecutionBuckets_areParameters_toldToEveryFunction_andGrantedOnlyByName() {
        for (String parameter : List.of("ItemBuckets", "ExecutionBuckets")) {
            assertEquals("CommaDelimitedList", template.at("/Parameters/" + parameter + "/Type").asText());
        }
        JsonNode env = template.at("/Globals/Function/Environment/Variables");
        assertEquals("ItemBuckets", env.at("/SLUICE_ITEM_BUCKETS/Fn::Join/1/Ref").asText());
        assertEquals("ExecutionBuckets", env.at("/SLUICE_EXECUTION_BUCKETS/Fn::Join/1/Ref").asText());
        for (var f : resources("AWS::Serverless::Function")) {
            String policies = f.getValue().at("/Properties/Policies").toString();
            boolean inference = f.getKey().equals("InferenceFunction");
            assertEquals(inference, policies.contains("\"Ref\":\"ItemBuckets\""), f.getKey());
            // every function: a job's S3 destination is an execution bucket, and a job ends in any function
            assertTrue(policies.contains("\"Ref\":\"ExecutionBuckets\""), f.getKey());
            assertEquals(inference, policies.contains("s3:AbortMultipartUpload"), f.getKey());
            // with no bucket given, nothing is granted: no stand-in bucket (the data bucket was one)
            for (JsonNode policy : f.getValue().at("/Properties/Policies")) {
                if (policy.has("Fn::If")) {
                    assertEquals("AWS::NoValue", policy.at("/Fn::If/2/Ref").asText(), f.getKey() + ": " + policy);
                }
            }
        }
    }

    @Test
    void everySqsEvent_reportsBatchItemFailures_fromAQueueWithADlq_andSixTimesTheTimeout() {
        int events = 0;
        for (var f : resources("AWS::Serverless::Function")) {
            JsonNode props = f.getValue().path("Properties");
            for (JsonNode event : props.path("Events")) {
                if (!"SQS".equals(event.path("Type").asText())) {
                    continue;
                }
                events++;
                JsonNode p = event.path("Properties");
                assertEquals("ReportBatchItemFailures", p.path("FunctionResponseTypes").path(0).asText(), f.getKey());
                String queue = p.path("Queue").path("Fn::GetAtt").path(0).asText();
                JsonNode queueProps = template.path("Resources").path(queue).path("Properties");
                assertTrue(queueProps.has("RedrivePolicy"), queue + " has a DLQ");
                int timeout = maxOf(props.path("Timeout"));
                assertTrue(queueProps.path("VisibilityTimeout").asInt() >= 6 * timeout,
                        queue + ": visibility " + queueProps.path("VisibilityTimeout").asInt() + " < 6 x " + timeout);
            }
        }
        assertEquals(3, events);
    }

    /** SAM's function logical id for each role of {@link Access} but the GPU workers (SAM has no GPU pool). */
    static final Map<String, Access.Role> ROLES = Map.of("ApiFunction", Access.Role.API, "FanoutFunction",
            Access.Role.FANOUT, "InferenceFunction", Access.Role.INFERENCE, "DeliveryFunction", Access.Role.DELIVERY,
            "SchedulerFunction", Access.Role.SCHEDULER);

    /** The plain (unconditional) policy statements of a function. */
    static List<JsonNode> statements(String function) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode policy : template.at("/Resources/" + function + "/Properties/Policies")) {
            policy.path("Statement").forEach(out::add);
        }
        return out;
    }

    static List<String> actionsOf(JsonNode statement) {
        List<String> actions = new ArrayList<>();
        if (statement.path("Action").isArray()) {
            statement.path("Action").forEach(a -> actions.add(a.asText()));
        } else {
            actions.add(statement.path("Action").asText());
        }
        return actions;
    }

    /**
     * Issue 28: each function reaches only the tables and DynamoDB actions the CDK app grants it (both from
     * {@link Access}): no SAM DynamoDB policy template (DynamoDBCrudPolicy grants Scan, DeleteItem, BatchWriteItem and
     * DescribeTable on a table to whoever names it).
     */
    @Test
    void eachFunction_getsOnlyItsTablesAndActions_asTheCdkApp() {
        for (var e : ROLES.entrySet()) {
            String policies = template.at("/Resources/" + e.getKey() + "/Properties/Policies").toString();
            assertTrue(!policies.contains("DynamoDBCrudPolicy") && !policies.contains("DynamoDBReadPolicy"), e.getKey());
            Map<Access.Table, Set<String>> granted = new java.util.EnumMap<>(Access.Table.class);
            for (JsonNode st : statements(e.getKey())) {
                List<String> actions = actionsOf(st).stream().filter(a -> a.startsWith("dynamodb:")).toList();
                if (actions.isEmpty()) {
                    continue;
                }
                String table = st.path("Resource").path(0).path("Fn::GetAtt").path(0).asText();
                assertEquals("${" + table + ".Arn}/index/*", st.path("Resource").path(1).path("Fn::Sub").asText());
                Access.Table t = Access.Table.valueOf(table.replace("Table", "").toUpperCase());
                granted.computeIfAbsent(t, k -> new java.util.TreeSet<>()).addAll(actions);
            }
            Map<Access.Table, Set<String>> expected = new java.util.EnumMap<>(Access.Table.class);
            Access.tables(e.getValue()).forEach((t, ops) -> expected.put(t,
                    new java.util.TreeSet<>(ops.stream().map(op -> op.action).toList())));
            assertEquals(expected, granted, e.getKey());
        }
    }

    /** Issue 28: each function lists the data bucket only under the prefixes it reads (s3:prefix), as the CDK app. */
    @Test
    void eachFunction_listsTheDataBucketOnlyUnderItsPrefixes_andReachesOnlyThem() {
        for (var e : ROLES.entrySet()) {
            Set<String> listed = new java.util.TreeSet<>();
            Set<String> reached = new java.util.TreeSet<>();
            for (JsonNode st : statements(e.getKey())) {
                List<String> actions = actionsOf(st);
                if (actions.contains("s3:ListBucket") && "DataBucket".equals(st.at("/Resource/Fn::GetAtt/0").asText())) {
                    JsonNode prefixes = st.at("/Condition/StringLike/s3:prefix");
                    assertTrue(prefixes.isArray() && !prefixes.isEmpty(), e.getKey() + " lists the whole bucket: " + st);
                    prefixes.forEach(p -> listed.add(p.asText()));
                }
                for (JsonNode r : st.path("Resource").isArray() ? st.path("Resource") : List.of(st.path("Resource"))) {
                    String sub = r.path("Fn::Sub").asText("");
                    if (sub.startsWith("${DataBucket.Arn}/")) {
                        reached.add(sub.substring("${DataBucket.Arn}/".length()));
                    }
                }
            }
            Set<String> expectedListed = new java.util.TreeSet<>();
            Access.prefixes(e.getValue()).forEach((prefix, access) -> {
                if (access.lists) {
                    expectedListed.add(prefix + "*");
                }
            });
            assertEquals(expectedListed, listed, e.getKey());
            assertEquals(new java.util.TreeSet<>(Access.prefixes(e.getValue()).keySet().stream().map(p -> p + "*").toList()),
                    reached, e.getKey());
        }
    }

    /**
     * Issue 28 item 5: as the CDK app, the data bucket, every queue and the alarm topic refuse requests without TLS, the
     * data bucket admits only the functions' roles, and the tables are encrypted at rest under the AWS managed key.
     */
    @Test
    void bucketQueuesAndTopic_areTlsOnly_theBucketAdmitsOnlyTheFunctions_andTablesAreEncrypted() {
        Set<String> tlsOnly = new java.util.TreeSet<>();
        for (String type : List.of("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy")) {
            for (var policy : resources(type)) {
                JsonNode props = policy.getValue().path("Properties");
                for (JsonNode st : props.at("/PolicyDocument/Statement")) {
                    if ("Deny".equals(st.path("Effect").asText())
                            && "false".equals(st.at("/Condition/Bool/aws:SecureTransport").asText())) {
                        props.path("Bucket").findValuesAsText("Ref").forEach(tlsOnly::add);
                        props.path("Queues").findValuesAsText("Ref").forEach(tlsOnly::add);
                        props.path("Topics").findValuesAsText("Ref").forEach(tlsOnly::add);
                    }
                    if ("OnlySluiceRoles".equals(st.path("Sid").asText())) {
                        Set<String> roles = new java.util.TreeSet<>();
                        st.at("/Condition/ArnNotEquals/aws:PrincipalArn").forEach(r -> roles.add(r.at("/Fn::GetAtt/0").asText()));
                        assertEquals(new java.util.TreeSet<>(ROLES.keySet().stream().map(f -> f + "Role").toList()), roles);
                    }
                }
            }
        }
        Set<String> expected = new java.util.TreeSet<>(List.of("DataBucket", "AlarmTopic"));
        resources("AWS::SQS::Queue").forEach(q -> expected.add(q.getKey()));
        assertEquals(expected, tlsOnly);
        assertTrue(template.at("/Resources/DataBucketPolicy").toString().contains("OnlySluiceRoles"));
        for (var t : resources("AWS::DynamoDB::Table")) {
            assertTrue(t.getValue().at("/Properties/SSESpecification/SSEEnabled").asBoolean(), t.getKey());
        }
    }

    /** Issue 28: the creates and reads are routes of their own, each throttled by its class (CDK: HttpApiFront). */
    @Test
    void api_throttlesCreatesAndReadsPerRoute_likeTheCdkApp() {
        JsonNode settings = template.at("/Resources/HttpApi/Properties/RouteSettings");
        Set<String> routes = new java.util.TreeSet<>();
        template.at("/Resources/ApiFunction/Properties/Events").forEach(ev -> {
            if ("HttpApi".equals(ev.path("Type").asText())) {
                routes.add(ev.at("/Properties/Method").asText() + " " + ev.at("/Properties/Path").asText());
            }
        });
        for (String path : HttpApiFront.CREATE_ROUTES) {
            assertTrue(routes.contains("POST " + path), path);
            assertEquals("ApiCreateRateLimit", settings.at("/POST " + path.replace("/", "~1") + "/ThrottlingRateLimit/Ref").asText(), path);
            assertEquals("ApiCreateBurstLimit", settings.at("/POST " + path.replace("/", "~1") + "/ThrottlingBurstLimit/Ref").asText(), path);
        }
        for (String read : List.of("GET /v1/{proxy+}", "GET /", "GET /console/{proxy+}")) {
            assertTrue(routes.contains(read), read);
            assertEquals("ApiReadRateLimit", settings.at("/" + read.replace("/", "~1") + "/ThrottlingRateLimit/Ref").asText(), read);
        }
        settings.fieldNames().forEachRemaining(k -> assertTrue(routes.contains(k), "a setting of no route: " + k));
        assertEquals(10, template.at("/Parameters/ApiCreateRateLimit/Default").asInt());
        assertEquals(100, template.at("/Parameters/ApiReadRateLimit/Default").asInt());
    }

    /** A number, or a parameter reference: its largest allowed value. */
    static int maxOf(JsonNode value) {
        if (value.has("Ref")) {
            return template.path("Parameters").path(value.path("Ref").asText()).path("MaxValue").asInt();
        }
        return value.asInt();
    }
}
