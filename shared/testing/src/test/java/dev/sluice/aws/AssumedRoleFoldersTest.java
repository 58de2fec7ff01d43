package dev.sluice.aws;

import dev.sluice.core.Json;
import dev.sluice.execution.FileProblem;
import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.RoleSession;
import dev.sluice.testing.MotoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleResponse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link UserFolders#withRole} through the AWS SDK over HTTP against moto's server (issue 27 item 3): STS on a moto
 * with IAM checks on (the functions' stand-in is an IAM user allowed to assume one customer role only), S3 on a
 * second moto. Every S3 request of the folders is signed with the access key AssumeRole returned (each request's
 * {@code Credential=} recorded by an interceptor), the AssumeRole carries the external id, the session name and the
 * session policy, the credentials are kept for the session (one AssumeRole for many files), and a role STS refuses
 * fails with {@code execution.role_not_assumable}.
 */
class AssumedRoleFoldersTest {
    static final String ALLOWED = "arn:aws:iam::123456789012:role/customer-data";
    static final String OTHER = "arn:aws:iam::123456789012:role/another-projects-role";
    static MotoServer sts;
    static MotoServer s3Server;
    static S3Client s3;
    static StsClient stsClient;
    /** The access key id of every S3 request, in order. */
    static final List<String> SIGNED = new CopyOnWriteArrayList<>();
    static final List<AssumeRoleRequest> ASKED = new CopyOnWriteArrayList<>();
    static final List<String> ISSUED = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        // IAM checks after the 4 set-up requests below: the user's key may assume ALLOWED and nothing else
        sts = MotoServer.start(Map.of("INITIAL_NO_AUTH_ACTION_COUNT", "4"));
        s3Server = MotoServer.start();
        String key;
        String secret;
        try (IamClient iam = sts.client(IamClient.builder().region(Region.AWS_GLOBAL))) {
            iam.createUser(b -> b.userName("sluice-functions"));
            iam.putUserPolicy(b -> b.userName("sluice-functions").policyName("assume").policyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"sts:AssumeRole\","
                            + "\"Resource\":\"" + ALLOWED + "\"}]}"));
            iam.createRole(b -> b.roleName("customer-data").assumeRolePolicyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},"
                            + "\"Action\":\"sts:AssumeRole\"}]}"));
            var created = iam.createAccessKey(b -> b.userName("sluice-functions")).accessKey();
            key = created.accessKeyId();
            secret = created.secretAccessKey();
        }
        ExecutionInterceptor recordSts = new ExecutionInterceptor() {
            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof AssumeRoleRequest asked
                        && context.response() instanceof AssumeRoleResponse issued) {
                    ASKED.add(asked);
                    ISSUED.add(issued.credentials().accessKeyId());
                }
            }
        };
        stsClient = StsClient.builder().endpointOverride(sts.endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret)))
                .overrideConfiguration(o -> o.addExecutionInterceptor(recordSts))
                .httpClient(UrlConnectionHttpClient.create()).build();
        Pattern credential = Pattern.compile("Credential=([^/]+)/");
        s3 = S3Client.builder().endpointOverride(s3Server.endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(MotoServer.CREDENTIALS).httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.addExecutionInterceptor(new ExecutionInterceptor() {
                    @Override
                    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
                        var m = credential.matcher(context.httpRequest().firstMatchingHeader("Authorization").orElse(""));
                        SIGNED.add(m.find() ? m.group(1) : "(unsigned)");
                    }
                })).build();
        s3.createBucket(b -> b.bucket("customer-bucket"));
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
            stsClient.close();
        }
        if (sts != null) {
            sts.close();
        }
        if (s3Server != null) {
            s3Server.close();
        }
    }

    @Test
    void everyListReadAndWrite_isSignedWithTheAssumedRolesKey_andOneAssumeRoleServesTheSession(@TempDir Path tmp)
            throws Exception {
        for (String name : List.of("a.csv", "b.csv")) {
            s3.putObject(b -> b.bucket("customer-bucket").key("in/" + name), RequestBody.fromString("x,y\n1,2\n"));
        }
        Folder in = new Folder("customer-bucket", "in");
        Folder out = new Folder("customer-bucket", "out");
        RoleSession session = RoleSession.of(ALLOWED, "sluice-0123456789abcdef0123456789abcdef",
                "execution_0001", in, out);
        UserFolders folders = new UserFolders(s3, new AssumedRoles(() -> stsClient));
        SIGNED.clear();

        for (String name : List.of("a.csv", "b.csv")) {
            // each file task asks for the execution's folders again, as ExecutionRunner does
            FolderStore role = folders.withRole(session);
            assertEquals(List.of("a.csv", "b.csv"), role.list(in, null, 10).names());
            byte[] read;
            try (var stream = role.open(in, name).from(0)) {
                read = stream.readAllBytes();
            }
            Files.write(tmp.resolve(name), read);
            FolderStore.Upload upload = role.create(out, name, "text/csv");
            upload.write(read);
            upload.complete();
        }

        assertEquals(1, ASKED.size(), "one AssumeRole for the session's files: " + ASKED);
        AssumeRoleRequest asked = ASKED.get(0);
        assertEquals(ALLOWED, asked.roleArn());
        assertEquals("sluice-0123456789abcdef0123456789abcdef", asked.externalId());
        assertEquals("sluice-execution_0001", asked.roleSessionName());
        var policy = Json.tree(asked.policy());
        assertEquals("arn:aws:s3:::customer-bucket/in/*", policy.path("Statement").get(1).path("Resource").asText());
        assertEquals("arn:aws:s3:::customer-bucket/out/*", policy.path("Statement").get(2).path("Resource").asText());
        assertEquals("in/*", policy.path("Statement").get(0).path("Condition").path("StringLike").path("s3:prefix")
                .get(0).asText());
        String assumed = ISSUED.get(0);
        assertTrue(assumed.startsWith("ASIA"), "temporary credentials: " + assumed);
        assertTrue(SIGNED.size() >= 6, "2 lists, 2 reads (HeadObject and a ranged GET each), 2 writes: " + SIGNED);
        assertEquals(List.of(assumed), SIGNED.stream().distinct().toList(), "every request signed with the role's key");
        assertEquals("x,y\n1,2\n", s3.getObject(b -> b.bucket("customer-bucket").key("out/b.csv"),
                software.amazon.awssdk.core.sync.ResponseTransformer.toBytes()).asUtf8String());
        assertEquals("x,y\n1,2\n", Files.readString(tmp.resolve("a.csv")));
    }

    @Test
    void aRoleStsRefuses_failsWithACode_beforeAnyS3Request() {
        Folder in = new Folder("customer-bucket", "in");
        UserFolders folders = new UserFolders(s3, new AssumedRoles(() -> stsClient));
        SIGNED.clear();
        FileProblem refused = assertThrows(FileProblem.class, () -> folders.withRole(
                RoleSession.of(OTHER, "sluice-0123456789abcdef0123456789abcdef", "execution_0002", in, in)));
        assertEquals("execution.role_not_assumable", refused.code);
        assertTrue(refused.getMessage().contains("403"), "STS's refusal is named: " + refused.getMessage());
        assertTrue(refused.getMessage().contains(OTHER), refused.getMessage());
        assertEquals(List.of(), SIGNED, "no S3 request");
    }
}
