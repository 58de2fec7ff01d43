package dev.sluice.infra;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static dev.sluice.infra.SluiceStackTest.at;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28, least privilege: each role's policy, as synthesized (Template.fromStack of the app with the GPU pool and
 * an execution bucket): the tables it may reach and the DynamoDB actions on each, and the data bucket's prefixes it may
 * list; the API's throttling per route class; the GPU workers' image from another account's ECR; cdk-nag's
 * suppressions scoped to resources. The expected grants are written out here, from the code each role runs (see
 * {@link Access}), so a grant that widens fails a test that names the role.
 */
@SuppressWarnings("unchecked")
class LeastPrivilegeTest {
    private static final SecureDefaultsTest.Deployed D = SecureDefaultsTest.withGpu();

    @Test
    void api_getsEveryTableItServes_andListsOnlyItsPrefixes() {
        assertTables("Api", Map.of(
                "Jobs", "BatchGetItem DeleteItem GetItem PutItem Query UpdateItem",
                "Ledger", "BatchWriteItem GetItem PutItem Query",
                "Logs", "BatchWriteItem PutItem Query",
                "Catalog", "DeleteItem GetItem PutItem Query UpdateItem",
                "Keys", "GetItem PutItem UpdateItem"));
        assertListsOnly("Api", "datasets/*", "models/*", "executions/*", "deliveries/*", "results/*");
    }

    @Test
    void fanout_neverReadsKeys_neverDeletesJobs_andListsOnlyItsPrefixes() {
        assertTables("Fanout", Map.of("Jobs", "BatchGetItem GetItem UpdateItem", "Ledger", "GetItem PutItem Query", "Logs", "PutItem",
                "Catalog", "DeleteItem GetItem PutItem UpdateItem"));
        assertListsOnly("Fanout", "datasets/*", "executions/*", "results/*");
    }

    @Test
    void inference_neverReadsKeys_neverDeletesJobs_andListsOnlyItsPrefixes() {
        assertTables("Inference", Map.of("Jobs", "BatchGetItem GetItem UpdateItem", "Ledger", "GetItem PutItem Query",
                "Logs", "PutItem", "Catalog", "DeleteItem GetItem PutItem UpdateItem"));
        assertListsOnly("Inference", "models/*", "executions/*", "results/*");
    }

    /** Delivery ends jobs too, so it records their throughput (a catalog PutItem), but changes no other record. */
    @Test
    void delivery_readsAndRecordsOnly_andListsOnlyResults() {
        assertTables("Delivery", Map.of("Jobs", "BatchGetItem GetItem UpdateItem", "Ledger", "GetItem PutItem Query",
                "Logs", "PutItem", "Catalog", "GetItem PutItem"));
        assertListsOnly("Delivery", "results/*");
    }

    @Test
    void scheduler_queriesActiveJobsAndSweeps_neverKeys_andListsOnlyItsPrefixes() {
        assertTables("Scheduler", Map.of("Jobs", "BatchGetItem GetItem Query UpdateItem", "Ledger", "GetItem PutItem Query",
                "Logs", "PutItem", "Catalog", "DeleteItem GetItem PutItem Query UpdateItem"));
        assertListsOnly("Scheduler", "datasets/*", "executions/*", "models/*", "results/*");
    }

    /**
     * The GPU pool's on-demand workers settle jobs' batches and, since issue 27, executions' files (the task pools'
     * role: files settled and slot leases taken in the catalog, executions' file lists read); its spot workers run
     * executions' files only.
     */
    @Test
    void gpuWorkers_settleBatchesAndExecutionsFilesOnly_andListOnlyModelsExecutionsAndResults() {
        String role = D.resources("AWS::IAM::Role").keySet().stream()
                .filter(id -> id.startsWith("GpuPoolTaskTaskRole")).findFirst().orElseThrow();
        assertEquals(Map.of("Jobs", "BatchGetItem GetItem UpdateItem", "Ledger", "GetItem PutItem Query", "Logs", "PutItem",
                "Catalog", "DeleteItem GetItem PutItem UpdateItem"), tableActions(role), "GPU workers");
        assertEquals(new TreeSet<>(List.of("executions/*", "models/*", "results/*")), listedPrefixes(role), "GPU workers");
        String spot = D.resources("AWS::IAM::Role").keySet().stream()
                .filter(id -> id.startsWith("GpuPoolSpotTaskTaskRole")).findFirst().orElseThrow();
        assertEquals(tableActions(role), tableActions(spot), "spot GPU workers");
        assertEquals(listedPrefixes(role), listedPrefixes(spot), "spot GPU workers");
        // jobs' S3 destinations: its parts are copied as they commit
        assertTrue(statements(role).toString().contains("arn:aws:s3:::customer-results/*"));
    }

    /**
     * Issue 27: the CPU pool's workers (on-demand and spot) run executions' files as the inference function does: its
     * tables, actions and data-bucket prefixes, the customers' roles assumed, and each consumes its own queue only.
     */
    @Test
    void cpuWorkers_haveTheInferenceFunctionsGrants_andEachConsumesOnlyItsOwnQueue() {
        for (String service : List.of("OnDemand", "Spot")) {
            String role = D.resources("AWS::IAM::Role").keySet().stream()
                    .filter(id -> id.startsWith("CpuPool" + service + "TaskTaskRole")).findFirst().orElseThrow();
            assertEquals(tableActions(roleOf("Inference")), tableActions(role), service + " CPU workers");
            assertEquals(listedPrefixes(roleOf("Inference")), listedPrefixes(role), service + " CPU workers");
            assertEquals(SecureDefaultsTest.dataBucketGrants(D, roleOf("Inference")),
                    SecureDefaultsTest.dataBucketGrants(D, role), service + " CPU workers");
            String own = service.equals("Spot") ? "QueuesCpuSpotTasks" : "QueuesCpuTasks";
            String other = service.equals("Spot") ? "QueuesCpuTasks" : "QueuesCpuSpotTasks";
            List<String> consumed = new ArrayList<>();
            for (var st : statements(role)) {
                if (SluiceStackTest.actions(st).contains("sqs:ReceiveMessage")) {
                    consumed.add(String.valueOf(st.get("Resource")));
                }
            }
            assertEquals(1, consumed.size(), consumed.toString());
            assertTrue(consumed.get(0).contains(own) && !consumed.get(0).contains(other), consumed.toString());
            assertTrue(statements(role).toString().contains("sts:AssumeRole"), "customers' roles (iamRoleArn)");
        }
    }

    /** The actions no code makes are granted to no role, on any table. */
    @Test
    void noRole_mayScanDescribeConditionCheckOrReadStreams() {
        for (var policy : D.resources("AWS::IAM::Policy").entrySet()) {
            for (Object st : (List<Object>) at(SecureDefaultsTest.props(policy.getValue()), "PolicyDocument", "Statement")) {
                for (String action : SluiceStackTest.actions((Map<String, Object>) st)) {
                    assertFalse(action.matches("dynamodb:(Scan|Describe.*|ConditionCheckItem|GetRecords|GetShardIterator"
                            + "|ListStreams|\\*)"), policy.getKey() + " " + action);
                    assertFalse(action.matches("s3:(GetBucket|List)\\*|s3:\\*|s3:GetObject\\*|s3:PutObject\\*"),
                            policy.getKey() + " " + action);
                }
            }
        }
    }

    /**
     * Issue 28: per-route throttling, configurable by context: the creates (every create and start operation of
     * docs/openapi.yaml) lowest, GETs highest, the rest on the stage's default.
     */
    @Test
    void api_throttlesCreatesLowest_readsHighest_perRoute_configurably() throws Exception {
        JsonNode openapi = new ObjectMapper(new YAMLFactory()).readTree(Path.of("../docs/openapi.yaml").toFile());
        Set<String> creates = new TreeSet<>();
        openapi.path("paths").fields().forEachRemaining(p -> {
            String id = p.getValue().path("post").path("operationId").asText("");
            if (id.startsWith("create") || id.startsWith("start")) {
                creates.add("POST " + p.getKey());
            }
        });
        assertEquals(8, creates.size(), creates.toString());
        Set<String> routeKeys = new TreeSet<>();
        D.resources("AWS::ApiGatewayV2::Route").values().forEach(r -> routeKeys.add((String) SecureDefaultsTest.props(r).get("RouteKey")));
        assertTrue(routeKeys.containsAll(creates), routeKeys.toString());
        var stage = SecureDefaultsTest.props(D.resources("AWS::ApiGatewayV2::Stage").values().iterator().next());
        Map<String, Map<String, Object>> perRoute = (Map<String, Map<String, Object>>) stage.get("RouteSettings");
        for (String create : creates) {
            assertEquals(3, ((Number) perRoute.get(create).get("ThrottlingRateLimit")).intValue(), create);
            assertEquals(4, ((Number) perRoute.get(create).get("ThrottlingBurstLimit")).intValue(), create);
        }
        for (String read : List.of("GET /v1/{proxy+}", "GET /", "GET /console/{proxy+}")) {
            assertEquals(30, ((Number) perRoute.get(read).get("ThrottlingRateLimit")).intValue(), read);
            assertEquals(40, ((Number) perRoute.get(read).get("ThrottlingBurstLimit")).intValue(), read);
        }
        assertEquals(7, ((Number) at(stage, "DefaultRouteSettings", "ThrottlingRateLimit")).intValue());
        assertFalse(perRoute.containsKey("ANY /v1/{proxy+}"), "the rest take the stage's default");
        assertTrue(routeKeys.containsAll(perRoute.keySet()), "every setting names a route");
        // the defaults: creates 10/20, reads 100/200
        var defaults = (Map<String, Map<String, Object>>) SecureDefaultsTest.props(SecureDefaultsTest.defaults()
                .resources("AWS::ApiGatewayV2::Stage").values().iterator().next()).get("RouteSettings");
        assertEquals(10, ((Number) defaults.get("POST /v1/projects/{projectId}/batch/jobs").get("ThrottlingRateLimit")).intValue());
        assertEquals(20, ((Number) defaults.get("POST /v1/projects/{projectId}/batch/jobs").get("ThrottlingBurstLimit")).intValue());
        assertEquals(100, ((Number) defaults.get("GET /v1/{proxy+}").get("ThrottlingRateLimit")).intValue());
        // every route goes to the one integration: the function routes by itself
        assertEquals(1, D.resources("AWS::ApiGatewayV2::Integration").size());
    }

    /** Issue 28: an ECR URI of another account and region is pulled from there, by digest, with pull rights there only. */
    @Test
    void gpuWorkerImage_fromAnotherAccountsEcr_isPulledFromThatAccountAndRegion() {
        var container = at(SecureDefaultsTest.props(D.resources("AWS::ECS::TaskDefinition").values().iterator().next()),
                "ContainerDefinitions", "0", "Image");
        String image = String.valueOf(container);
        assertTrue(image.contains("210987654321.dkr.ecr.eu-west-1.") && image.contains("/team/sluice-gpu-worker@sha256:0123"),
                image);
        String repository = "arn:aws:ecr:eu-west-1:210987654321:repository/team/sluice-gpu-worker";
        boolean pulls = false;
        for (var policy : D.resources("AWS::IAM::Policy").values()) {
            for (Object st : (List<Object>) at(SecureDefaultsTest.props(policy), "PolicyDocument", "Statement")) {
                var statement = (Map<String, Object>) st;
                if (SluiceStackTest.actions(statement).contains("ecr:BatchGetImage")) {
                    assertEquals(repository, statement.get("Resource"));
                    pulls = true;
                }
            }
        }
        assertTrue(pulls, "the execution role may pull from that repository");
        // every pool's task definition (the GPU pool's two, the CPU pool's two) pulls that image with a role that may
        for (var d : List.of(D, SecureDefaultsTest.withCpu())) {
            var definitions = d.resources("AWS::ECS::TaskDefinition").values();
            assertEquals(d == D ? 4 : 2, definitions.size());
            for (var t : definitions) {
                String executionRole = SluiceStackTest.refOf(SecureDefaultsTest.props(t).get("ExecutionRoleArn"));
                boolean may = false;
                for (var policy : d.resources("AWS::IAM::Policy").values()) {
                    var p = SecureDefaultsTest.props(policy);
                    if (p.get("Roles").toString().contains(executionRole)
                            && p.get("PolicyDocument").toString().contains(repository)) {
                        may = true;
                    }
                }
                assertTrue(may, executionRole + " may pull " + repository);
                assertTrue(String.valueOf(at(SecureDefaultsTest.props(t), "ContainerDefinitions", "0", "Image"))
                        .contains("210987654321.dkr.ecr.eu-west-1."), "pulled from that account and region");
            }
        }
        assertTrue(GpuPool.ECR_URI.matcher("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/w:1").matches());
        assertFalse(GpuPool.ECR_URI.matcher("ghcr.io/acme/worker:1").matches(), "another registry: used as it is");
    }

    /**
     * Issue 28: cdk-nag's suppressions are on the resources they concern, never the whole stack, and a wildcard finding
     * (IAM5) is suppressed only for the exact action or resource it names.
     */
    @Test
    void cdkNagSuppressions_areResourceScoped_andWildcardsNamed() {
        for (var d : List.of(SecureDefaultsTest.defaults(), D)) {
            assertEquals(null, at(d.json(), "Metadata", "cdk_nag"), "no stack-wide suppression");
            int suppressions = 0;
            for (var resource : ((Map<String, Map<String, Object>>) d.json().get("Resources")).entrySet()) {
                Object rules = at(resource.getValue(), "Metadata", "cdk_nag", "rules_to_suppress");
                if (rules == null) {
                    continue;
                }
                for (Object r : (List<Object>) rules) {
                    Map<String, Object> rule = (Map<String, Object>) r;
                    suppressions++;
                    assertTrue(String.valueOf(rule.get("reason")).length() > 40, resource.getKey() + " " + rule);
                    if ("AwsSolutions-IAM5".equals(rule.get("id"))) {
                        List<Object> appliesTo = (List<Object>) rule.get("applies_to");
                        assertNotNull(appliesTo, resource.getKey() + ": IAM5 names what it applies to");
                        assertFalse(appliesTo.isEmpty(), resource.getKey());
                    }
                }
            }
            assertTrue(suppressions > 0);
        }
    }

    /**
     * A tripwire for the grants: every DynamoDB request the adapters ({@code shared/aws}) make is an action some role
     * is granted ({@link Access}). A new kind of request (a Scan, a TransactGetItems, a ConditionCheck in a
     * transaction) fails here, naming the file, instead of failing with AccessDenied once deployed.
     */
    @Test
    void everyDynamoDbRequestTheAdaptersMake_isGrantedToSomeRole() throws Exception {
        Map<String, String> iam = Map.ofEntries(Map.entry("getItem", "GetItem"), Map.entry("putItem", "PutItem"),
                Map.entry("updateItem", "UpdateItem"), Map.entry("deleteItem", "DeleteItem"),
                Map.entry("query", "Query"), Map.entry("queryPaginator", "Query"), Map.entry("scan", "Scan"),
                Map.entry("scanPaginator", "Scan"), Map.entry("batchGetItem", "BatchGetItem"),
                Map.entry("batchWriteItem", "BatchWriteItem"), Map.entry("transactGetItems", "GetItem"),
                Map.entry("describeTable", "DescribeTable"), Map.entry("executeStatement", "PartiQL"));
        Set<String> granted = new TreeSet<>();
        for (Access.Role role : Access.Role.values()) {
            Access.tables(role).values().forEach(ops -> ops.forEach(op -> granted.add(op.action.substring("dynamodb:".length()))));
        }
        int requests = 0;
        List<Path> sources;
        try (var files = java.nio.file.Files.walk(SamTemplateTest.ROOT.resolve("shared/aws/src/main/java"))) {
            sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        for (Path file : sources) {
            String code = java.nio.file.Files.readString(file);
            // a transaction's items need their own action each; a ConditionCheck would need ConditionCheckItem
            assertFalse(code.contains(".conditionCheck("), file + ": ConditionCheckItem is granted to no role");
            var clients = java.util.regex.Pattern.compile("DynamoDbClient\\s+(\\w+)\\s*[;,)=]").matcher(code);
            Set<String> names = new TreeSet<>();
            while (clients.find()) {
                names.add(clients.group(1));
            }
            for (String name : names) {
                var calls = java.util.regex.Pattern.compile("\\b" + name + "\\.(\\w+)\\(").matcher(code);
                while (calls.find()) {
                    String method = calls.group(1);
                    if (method.equals("transactWriteItems") || method.equals("serviceClientConfiguration")
                            || method.equals("close")) {
                        continue;
                    }
                    String action = iam.get(method);
                    assertNotNull(action, file.getFileName() + " calls DynamoDbClient." + method + ": map it to its IAM "
                            + "action here and grant it in Access");
                    assertTrue(granted.contains(action), file.getFileName() + " makes dynamodb:" + action
                            + ", which no role is granted (Access.tables)");
                    requests++;
                }
            }
        }
        assertTrue(requests >= 20, "the adapters' requests were found: " + requests);
    }

    // --- helpers

    private static String roleOf(String function) {
        var functions = D.resources("AWS::Lambda::Function");
        String fn = functions.keySet().stream().filter(id -> id.matches("Functions" + function + "[0-9A-F]{8}"))
                .findFirst().orElseThrow(() -> new AssertionError("no function " + function));
        return SluiceStackTest.refOf(SecureDefaultsTest.props(functions.get(fn)).get("Role"));
    }

    private static void assertTables(String function, Map<String, String> expected) {
        assertEquals(new TreeMap<>(expected), tableActions(roleOf(function)), function);
    }

    private static void assertListsOnly(String function, String... prefixes) {
        assertEquals(new TreeSet<>(List.of(prefixes)), listedPrefixes(roleOf(function)), function);
    }

    static List<Map<String, Object>> statements(String role) {
        List<Map<String, Object>> out = new ArrayList<>();
        // inline policies and the managed ones CDK adds when a role's default policy would pass IAM's size limit
        List<Map<String, Object>> policies = new ArrayList<>(D.resources("AWS::IAM::Policy").values());
        policies.addAll(D.resources("AWS::IAM::ManagedPolicy").values());
        for (var policy : policies) {
            var p = SecureDefaultsTest.props(policy);
            if (p.get("Roles") != null && ((List<Object>) p.get("Roles")).stream().anyMatch(r -> role.equals(SluiceStackTest.refOf(r)))) {
                out.addAll((List<Map<String, Object>>) at(p, "PolicyDocument", "Statement"));
            }
        }
        return out;
    }

    /** Table name (Jobs, Catalog, …) to its DynamoDB actions (without the service prefix), sorted, space-separated. */
    static Map<String, String> tableActions(String role) {
        Set<String> tables = D.resources("AWS::DynamoDB::Table").keySet();
        Map<String, Set<String>> byTable = new TreeMap<>();
        for (var st : statements(role)) {
            List<String> actions = SluiceStackTest.actions(st).stream().filter(a -> a.startsWith("dynamodb:")).toList();
            if (actions.isEmpty()) {
                continue;
            }
            String table = attOf(st.get("Resource"), tables);
            assertNotNull(table, "a DynamoDB grant names a table: " + st);
            String name = table.replaceAll("^Data([A-Z][a-z]+).*", "$1");
            actions.forEach(a -> byTable.computeIfAbsent(name, k -> new TreeSet<>()).add(a.substring("dynamodb:".length())));
        }
        Map<String, String> out = new TreeMap<>();
        byTable.forEach((k, v) -> out.put(k, String.join(" ", v)));
        return out;
    }

    /** The s3:prefix patterns the role may list the data bucket under; fails on a listing without that condition. */
    static Set<String> listedPrefixes(String role) {
        String bucket = D.resources("AWS::S3::Bucket").keySet().stream().filter(k -> k.startsWith("DataBucket"))
                .findFirst().orElseThrow();
        Set<String> prefixes = new TreeSet<>();
        for (var st : statements(role)) {
            if (!SluiceStackTest.actions(st).stream().anyMatch(a -> a.startsWith("s3:List"))
                    || attOf(st.get("Resource"), Set.of(bucket)) == null) {
                continue;
            }
            assertEquals(List.of("s3:ListBucket"), SluiceStackTest.actions(st), role);
            Object listed = at(st, "Condition", "StringLike", "s3:prefix");
            assertNotNull(listed, role + " lists the whole data bucket: " + st);
            prefixes.addAll(listed instanceof List<?> l ? l.stream().map(Object::toString).toList() : List.of(listed.toString()));
        }
        return prefixes;
    }

    /** The first logical id among the candidates that an Fn::GetAtt in the expression names, however deep. */
    static String attOf(Object node, Set<String> candidates) {
        if (node instanceof Map<?, ?> m) {
            if (m.get("Fn::GetAtt") instanceof List<?> l && candidates.contains(l.get(0).toString())) {
                return l.get(0).toString();
            }
            for (Object v : m.values()) {
                String found = attOf(v, candidates);
                if (found != null) {
                    return found;
                }
            }
        } else if (node instanceof List<?> l) {
            for (Object v : l) {
                String found = attOf(v, candidates);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }
}
