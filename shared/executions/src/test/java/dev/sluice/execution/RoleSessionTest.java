package dev.sluice.execution;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The session policy an execution's {@code iamRoleArn} is assumed with, as a document: moto's STS takes a session
 * policy and ignores it, so what the temporary credentials may do is checked here, by evaluating the document the way
 * IAM evaluates an Allow (action, resource ARN and a {@code StringLike} condition, with IAM's {@code *} and {@code ?}
 * wildcards: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html).
 */
class RoleSessionTest {
    static final String ROLE = "arn:aws:iam::444455556666:role/data";
    static final String EXTERNAL_ID = "sluice-0123456789abcdef0123456789abcdef";

    @Test
    void theSessionPolicy_allowsListingUnderTheSource_readingInIt_andWritingInTheDestination_only() {
        RoleSession s = RoleSession.of(ROLE, EXTERNAL_ID, "execution_01abc", new Folder("data", "in/2026"),
                new Folder("results", "out/2026"));
        assertEquals("sluice-execution_01abc", s.sessionName());
        assertEquals(EXTERNAL_ID, s.externalId());
        JsonNode policy = Json.tree(s.policy());
        assertEquals("2012-10-17", policy.path("Version").asText());

        // what the execution does
        assertTrue(allows(policy, "s3:ListBucket", "arn:aws:s3:::data", Map.of("s3:prefix", "in/2026/")));
        assertTrue(allows(policy, "s3:GetObject", "arn:aws:s3:::data/in/2026/part-0.parquet", Map.of()));
        assertTrue(allows(policy, "s3:GetObject", "arn:aws:s3:::data/in/2026/deep/er/x.csv", Map.of()));
        assertTrue(allows(policy, "s3:PutObject", "arn:aws:s3:::results/out/2026/part-0.csv", Map.of()));
        assertTrue(allows(policy, "s3:AbortMultipartUpload", "arn:aws:s3:::results/out/2026/part-0.csv", Map.of()));
        assertTrue(allows(policy, "kms:Decrypt", "arn:aws:kms:eu-west-1:444455556666:key/k",
                Map.of("kms:ViaService", "s3.eu-west-1.amazonaws.com")), "an SSE-KMS bucket's key, through S3");

        // what the role may reach and the execution must not
        assertFalse(allows(policy, "s3:ListBucket", "arn:aws:s3:::data", Map.of()), "the whole bucket");
        assertFalse(allows(policy, "s3:ListBucket", "arn:aws:s3:::data", Map.of("s3:prefix", "in/2026-private/")));
        assertFalse(allows(policy, "s3:ListBucket", "arn:aws:s3:::data", Map.of("s3:prefix", "in/")));
        assertFalse(allows(policy, "s3:ListBucket", "arn:aws:s3:::results", Map.of("s3:prefix", "out/2026/")));
        assertFalse(allows(policy, "s3:GetObject", "arn:aws:s3:::data/in/2026-private/x.csv", Map.of()));
        assertFalse(allows(policy, "s3:GetObject", "arn:aws:s3:::data/secrets.csv", Map.of()));
        assertFalse(allows(policy, "s3:GetObject", "arn:aws:s3:::results/out/2026/part-0.csv", Map.of()),
                "the destination is written, not read");
        assertFalse(allows(policy, "s3:PutObject", "arn:aws:s3:::data/in/2026/part-0.parquet", Map.of()),
                "the source is read, never overwritten");
        assertFalse(allows(policy, "s3:PutObject", "arn:aws:s3:::results/out/2026-other/x.csv", Map.of()));
        assertFalse(allows(policy, "s3:DeleteObject", "arn:aws:s3:::results/out/2026/part-0.csv", Map.of()));
        assertFalse(allows(policy, "s3:PutObjectAcl", "arn:aws:s3:::results/out/2026/part-0.csv", Map.of()));
        assertFalse(allows(policy, "s3:GetObject", "arn:aws:s3:::other-bucket/in/2026/x.csv", Map.of()));
        assertFalse(allows(policy, "kms:Decrypt", "arn:aws:kms:eu-west-1:444455556666:key/k", Map.of()),
                "KMS only through S3");
        assertFalse(allows(policy, "kms:Decrypt", "arn:aws:kms:eu-west-1:444455556666:key/k",
                Map.of("kms:ViaService", "secretsmanager.eu-west-1.amazonaws.com")));
        assertFalse(allows(policy, "sts:AssumeRole", "arn:aws:iam::444455556666:role/admin", Map.of()));
        assertFalse(allows(policy, "iam:PassRole", "*", Map.of()));
        assertTrue(s.policy().length() <= 2048, "STS's packed size: " + s.policy().length());
    }

    @Test
    void aBucketsRoot_isTheWholeBucket_andOtherPartitionsKeepTheirArns() {
        RoleSession root = RoleSession.of(ROLE, EXTERNAL_ID, "execution_01abc", new Folder("data", ""),
                new Folder("data", "out"));
        JsonNode policy = Json.tree(root.policy());
        assertTrue(allows(policy, "s3:ListBucket", "arn:aws:s3:::data", Map.of("s3:prefix", "")));
        assertTrue(allows(policy, "s3:GetObject", "arn:aws:s3:::data/a.csv", Map.of()));
        assertTrue(allows(policy, "s3:PutObject", "arn:aws:s3:::data/out/a.csv", Map.of()));
        assertFalse(allows(policy, "s3:PutObject", "arn:aws:s3:::data/a.csv", Map.of()));

        RoleSession china = RoleSession.of("arn:aws-cn:iam::444455556666:role/data", EXTERNAL_ID, "execution_01abc",
                new Folder("data", "in"), new Folder("data", "out"));
        JsonNode cn = Json.tree(china.policy());
        assertTrue(allows(cn, "s3:GetObject", "arn:aws-cn:s3:::data/in/a.csv", Map.of()));
        assertFalse(allows(cn, "s3:GetObject", "arn:aws:s3:::data/in/a.csv", Map.of()));
        assertTrue(allows(cn, "kms:Decrypt", "arn:aws-cn:kms:cn-north-1:444455556666:key/k",
                Map.of("kms:ViaService", "s3.cn-north-1.amazonaws.com.cn")));
    }

    @Test
    void folderNamesAPolicyWouldReadAsWildcardsOrVariables_areRefused() {
        for (String path : List.of("in/*", "in/?x", "in/${aws:username}")) {
            SluiceException e = assertThrows(SluiceException.class, () -> RoleSession.of(ROLE, EXTERNAL_ID,
                    "execution_01abc", new Folder("data", path), new Folder("data", "out")));
            assertEquals("execution.bad_folder", e.code(), path);
        }
        String longId = "execution_" + "a".repeat(100);
        assertEquals(64, RoleSession.of(ROLE, EXTERNAL_ID, longId, new Folder("data", "in"), new Folder("data", "out"))
                .sessionName().length(), "STS's limit");
    }

    /** Whether some statement of the document allows the request (the documents hold Allow statements only). */
    private static boolean allows(JsonNode policy, String action, String resource, Map<String, String> context) {
        for (JsonNode statement : policy.path("Statement")) {
            assertEquals("Allow", statement.path("Effect").asText());
            if (any(statement.path("Action"), action) && any(statement.path("Resource"), resource)
                    && conditionHolds(statement.path("Condition"), context)) {
                return true;
            }
        }
        return false;
    }

    private static boolean conditionHolds(JsonNode condition, Map<String, String> context) {
        if (condition.isMissingNode()) {
            return true;
        }
        List<String> operators = new ArrayList<>();
        condition.fieldNames().forEachRemaining(operators::add);
        assertEquals(List.of("StringLike"), operators, "the only operator these documents use");
        var keys = condition.path("StringLike").fields();
        while (keys.hasNext()) {
            var key = keys.next();
            String value = context.get(key.getKey());
            if (value == null || !any(key.getValue(), value)) {
                return false; // a key absent from the request fails its condition
            }
        }
        return true;
    }

    /** A value or array of patterns with IAM's wildcards, matched case-sensitively as ARNs and StringLike are. */
    private static boolean any(JsonNode patterns, String value) {
        for (JsonNode p : patterns.isArray() ? patterns : Json.tree("[" + patterns + "]")) {
            StringBuilder regex = new StringBuilder();
            for (char c : p.asText().toCharArray()) {
                regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
            }
            if (value.matches(regex.toString())) {
                return true;
            }
        }
        return false;
    }
}
