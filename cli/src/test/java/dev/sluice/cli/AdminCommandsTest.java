package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.aws.DynamoApiKeyStore;
import dev.sluice.aws.DynamoCatalog;
import dev.sluice.core.Clock;
import dev.sluice.core.PageRequest;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.local.EmulatorStack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 28: `sluice admin` creates projects and their keys in the deployment's tables with AWS credentials (here
 * DynamoDB Local through the real SDK), and the key it prints is one the API accepts for that project only.
 */
class AdminCommandsTest {
    static EmulatorStack emulators;
    static DynamoDbClient dynamo;
    static final String CATALOG = "admin-catalog";
    static final String KEYS = "admin-keys";

    @BeforeAll
    static void start() {
        emulators = EmulatorStack.start();
        dynamo = DynamoDbClient.builder().endpointOverride(emulators.dynamoEndpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")))
                .httpClient(UrlConnectionHttpClient.create()).build();
        table(CATALOG, "projectId", "id");
        table(KEYS, "keyHash", null);
        // the deployer's credentials, as the default chain finds them (system properties come first in it)
        System.setProperty("aws.accessKeyId", "test");
        System.setProperty("aws.secretAccessKey", "test");
    }

    @AfterAll
    static void stop() {
        System.clearProperty("aws.accessKeyId");
        System.clearProperty("aws.secretAccessKey");
        dynamo.close();
        emulators.close();
    }

    static void table(String name, String hash, String range) {
        List<AttributeDefinition> attributes = new ArrayList<>(List.of(AttributeDefinition.builder().attributeName(hash)
                .attributeType(ScalarAttributeType.S).build()));
        List<KeySchemaElement> schema = new ArrayList<>(List.of(KeySchemaElement.builder().attributeName(hash)
                .keyType(KeyType.HASH).build()));
        if (range != null) {
            attributes.add(AttributeDefinition.builder().attributeName(range).attributeType(ScalarAttributeType.S).build());
            schema.add(KeySchemaElement.builder().attributeName(range).keyType(KeyType.RANGE).build());
        }
        dynamo.createTable(b -> b.tableName(name).attributeDefinitions(attributes).keySchema(schema)
                .billingMode(BillingMode.PAY_PER_REQUEST));
    }

    static CommandLineTest.Result admin(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--catalog-table", CATALOG, "--keys-table", KEYS, "--region", "us-east-1",
                "--endpoint", emulators.dynamoEndpoint.toString(), "--output", "json"));
        return CommandLineTest.sluice(all.toArray(String[]::new));
    }

    static JsonNode json(CommandLineTest.Result r) throws Exception {
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void projectsAndKeys_createdWithAwsCredentials_areTheOnesTheApiAccepts_forThatProjectOnly() throws Exception {
        JsonNode a = json(admin("admin", "projects", "create", "--name", "team-a"));
        JsonNode b = json(admin("admin", "projects", "create", "--name", "team-b"));
        assertTrue(a.get("id").asText().startsWith("proj_"), a.toString());
        assertEquals("project", a.get("object").asText());

        JsonNode listed = json(admin("admin", "projects", "list"));
        List<String> names = new ArrayList<>();
        listed.get("data").forEach(p -> names.add(p.get("name").asText()));
        assertTrue(names.containsAll(List.of("team-a", "team-b")), listed.toString());

        JsonNode key = json(admin("admin", "keys", "create", "--project", a.get("id").asText(), "--name", "first"));
        String secret = key.get("key").asText();
        assertTrue(secret.startsWith("sk_"), key.toString());
        assertTrue(key.path("keyHash").isMissingNode() || key.get("keyHash").isNull(), "never the stored hash");

        // what the api function does with a request's Authorization header, on the same tables
        ApiKeys api = new ApiKeys(new DynamoApiKeyStore(dynamo, KEYS), new DynamoCatalog(dynamo, CATALOG), Clock.SYSTEM);
        assertEquals(a.get("id").asText(), api.authenticate("Bearer " + secret).projectId());
        // listed (by prefix) among project A's keys, so `sluice keys revoke` can revoke it; none in project B
        assertEquals(1, api.list(a.get("id").asText(), new PageRequest(100, null, true)).data().size());
        assertEquals(0, api.list(b.get("id").asText(), new PageRequest(100, null, true)).data().size());
        // the project directory is no project's listing
        assertEquals(0, new DynamoCatalog(dynamo, CATALOG).list(a.get("id").asText(),
                dev.sluice.core.auth.Project.KIND, new PageRequest(100, null, true)).data().size());
    }

    @Test
    void aKeyForAProjectThatDoesNotExist_isRefusedWithItsCode_andNothingIsWritten() {
        int before = dynamo.scan(s -> s.tableName(KEYS)).count();
        CommandLineTest.Result r = admin("admin", "keys", "create", "--project", "proj_nosuchproject");
        assertEquals(Main.API_ERROR, r.code());
        assertTrue(r.err().startsWith("project.not_found:"), r.err());
        CommandLineTest.Result bad = admin("admin", "keys", "create", "--project", "team-a");
        assertTrue(bad.err().startsWith("project.bad_id:"), bad.err());
        assertEquals(before, (int) dynamo.scan(s -> s.tableName(KEYS)).count());
    }

    @Test
    void withoutTheTables_itSaysWhichStackOutputToPass() {
        CommandLineTest.Result r = CommandLineTest.sluice("admin", "projects", "list", "--region", "us-east-1");
        assertEquals(Main.USAGE, r.code());
        assertTrue(r.err().contains("CatalogTable"), r.err());
    }

    /** `./sluice destroy --delete-data`: once the stack is gone, its kept tables and data bucket go too, on request. */
    @Test
    void deleteData_deletesTheTablesAndEmptiesAndDeletesTheBucket_onlyWithYes() {
        table("doomed-jobs", "jobId", null);
        try (var s3 = software.amazon.awssdk.services.s3.S3Client.builder().endpointOverride(emulators.s3Endpoint)
                .region(Region.US_EAST_1).forcePathStyle(true).httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test"))).build()) {
            s3.createBucket(b -> b.bucket("doomed-data"));
            for (int i = 0; i < 3; i++) {
                int n = i;
                s3.putObject(b -> b.bucket("doomed-data").key("results/job/" + n + ".jsonl"),
                        software.amazon.awssdk.core.sync.RequestBody.fromString("{}"));
            }
            String[] args = {"admin", "delete-data", "--bucket", "doomed-data", "--table", "doomed-jobs",
                    "--region", "us-east-1", "--endpoint", emulators.dynamoEndpoint.toString(),
                    "--endpoint", emulators.s3Endpoint.toString()};
            CommandLineTest.Result refused = CommandLineTest.sluice(args);
            assertEquals(Main.USAGE, refused.code(), refused.err());
            assertTrue(dynamo.listTables().tableNames().contains("doomed-jobs"), "nothing deleted without --yes");

            List<String> withYes = new ArrayList<>(List.of(args));
            withYes.add("--yes");
            CommandLineTest.Result done = CommandLineTest.sluice(withYes.toArray(String[]::new));
            assertEquals(0, done.code(), done.err());
            assertTrue(done.out().contains("deleted bucket doomed-data (3 objects)"), done.out());
            assertTrue(!dynamo.listTables().tableNames().contains("doomed-jobs"));
            assertTrue(s3.listBuckets().buckets().stream().noneMatch(b -> b.name().equals("doomed-data")));
            // a second run (a destroy resumed) finds nothing left and says so
            CommandLineTest.Result again = CommandLineTest.sluice(withYes.toArray(String[]::new));
            assertEquals(0, again.code(), again.err());
            assertTrue(again.out().contains("no table doomed-jobs") && again.out().contains("no bucket doomed-data"),
                    again.out());
        }
    }
}
