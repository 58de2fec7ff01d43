package dev.sluice.execution;

import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How an execution that names {@code iamRoleArn} reaches its folders (issue 27 item 3): STS AssumeRole of that role
 * with the project's external id, a session name naming the execution, and a session policy that allows only the
 * execution's own prefixes, so the temporary credentials reach less than the role and the role's other data stays
 * out of reach (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies.html#policies_session): list under
 * the source folder, read objects under it, write (and abort multipart uploads) under the destination folder.
 *
 * @param roleArn     the customer's role, {@code arn:<partition>:iam::<12 digits>:role/<path/name>}
 * @param externalId  the calling project's external id, never one the caller gives
 * @param sessionName {@code sluice-<execution id>}, cut to STS's 64 characters (CloudTrail names the execution)
 * @param policy      the session policy JSON (at most 2,048 characters packed, STS's limit: STS refuses a longer one)
 */
public record RoleSession(String roleArn, String externalId, String sessionName, String policy) {
    /** IAM's role ARN (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns). */
    static final Pattern ROLE_ARN = Pattern.compile("arn:(aws|aws-cn|aws-us-gov):iam::(\\d{12}):role/[\\w+=,.@/-]{1,512}");
    /** STS's RoleSessionName: 2 to 64 of [\w+=,.@-]. */
    static final int MAX_SESSION_NAME = 64;

    /**
     * The session of an execution over these folders.
     *
     * @throws SluiceException 400 {@code execution.bad_role_arn} when the ARN is not a role's; 400
     *                         {@code execution.bad_folder} when a folder is local or holds characters a policy would
     *                         read as wildcards or variables ({@code * ? $})
     */
    public static RoleSession of(String roleArn, String externalId, String executionId, Folder source,
                                 Folder destination) {
        Matcher m = roleArn == null ? null : ROLE_ARN.matcher(roleArn);
        if (m == null || !m.matches()) {
            throw SluiceException.invalid("execution.bad_role_arn", "iamRoleArn must be an IAM role's ARN,"
                    + " arn:aws:iam::<account id>:role/<name>");
        }
        for (Folder f : List.of(source, destination)) {
            if (f.isLocal()) {
                throw SluiceException.invalid("execution.bad_folder", "iamRoleArn reaches S3 folders; "
                        + f.uri() + " is a local folder");
            }
            if (f.path().matches(".*[*?$].*")) {
                throw SluiceException.invalid("execution.bad_folder", "with iamRoleArn a folder path holds no * ? or $"
                        + " (a session policy would read them as wildcards or variables): " + f.uri());
            }
        }
        String name = "sluice-" + executionId;
        return new RoleSession(roleArn, externalId, name.length() > MAX_SESSION_NAME ? name.substring(0, MAX_SESSION_NAME)
                : name, policy(m.group(1), source, destination));
    }

    /**
     * The session policy: ListBucket under the source prefix, GetObject in it, PutObject (and AbortMultipartUpload) in
     * the destination, and the KMS use of an SSE-KMS bucket through S3 only.
     */
    static String policy(String partition, Folder source, Folder destination) {
        List<Map<String, Object>> statements = new ArrayList<>();
        Map<String, Object> list = statement("s3:ListBucket", "arn:" + partition + ":s3:::" + source.bucket());
        if (!source.path().isEmpty()) {
            list.put("Condition", Map.of("StringLike", Map.of("s3:prefix", List.of(source.path() + "/*"))));
        }
        statements.add(list);
        statements.add(statement("s3:GetObject", objects(partition, source)));
        statements.add(statement(List.of("s3:PutObject", "s3:AbortMultipartUpload"), objects(partition, destination)));
        // a bucket encrypted with a KMS key (SSE-KMS) needs the caller's kms:Decrypt to read and GenerateDataKey to
        // write; a session policy caps KMS as well, so without this the role could not read its own encrypted folders.
        // Only through S3 (kms:ViaService), whose own reach the statements above confine to the folders
        // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms)
        Map<String, Object> kms = statement(List.of("kms:Decrypt", "kms:GenerateDataKey"), "*");
        kms.put("Condition", Map.of("StringLike", Map.of("kms:ViaService",
                "s3.*." + ("aws-cn".equals(partition) ? "amazonaws.com.cn" : "amazonaws.com"))));
        statements.add(kms);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("Version", "2012-10-17");
        doc.put("Statement", statements);
        return Json.write(doc);
    }

    private static String objects(String partition, Folder f) {
        return "arn:" + partition + ":s3:::" + f.bucket() + "/" + (f.path().isEmpty() ? "" : f.path() + "/") + "*";
    }

    private static Map<String, Object> statement(Object action, String resource) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("Effect", "Allow");
        s.put("Action", action);
        s.put("Resource", resource);
        return s;
    }
}
