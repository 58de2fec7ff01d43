package dev.sluice.aws;

import dev.sluice.execution.FileProblem;
import dev.sluice.execution.RoleSession;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;
import software.amazon.awssdk.services.sts.model.StsException;

import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Customers' roles assumed for executions (issue 27 item 3): one {@link StsAssumeRoleCredentialsProvider} per
 * {@link RoleSession} (an execution's role, external id, session name and policy), kept while the execution runs
 * so its files share one set of temporary credentials, refreshed by the provider before they expire (it asks STS
 * again when less than {@link #PREFETCH} is left; the session lasts {@link #SESSION} unless the role allows less).
 * At most {@link #MAX_SESSIONS} sessions are kept (least recently used dropped): memory does not grow with the
 * number of executions a warm function has seen.
 *
 * <p>The STS client is made on first use: a function that runs no execution with a role never builds it.
 */
public final class AssumedRoles {
    static final int MAX_SESSIONS = 256;
    /** STS's default and the role's usual maximum session (1 hour; a role may allow up to 12). */
    static final Duration SESSION = Duration.ofHours(1);
    static final Duration PREFETCH = Duration.ofMinutes(5);
    /** Where STS is reached when not AWS's own endpoint (tests and {@code sluice local}: moto's server). */
    public static final String ENDPOINT_VARIABLE = "SLUICE_STS_ENDPOINT";
    public static final String ENDPOINT_PROPERTY = "sluice.stsEndpoint";

    private final Supplier<StsClient> sts;
    private StsClient client;
    private final Map<RoleSession, StsAssumeRoleCredentialsProvider> sessions =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<RoleSession, StsAssumeRoleCredentialsProvider> eldest) {
                    return size() > MAX_SESSIONS;
                }
            };

    public AssumedRoles(Supplier<StsClient> sts) {
        this.sts = sts;
    }

    /**
     * Roles assumed with an STS client in the S3 client's region, with its credentials (the function's role) and its
     * interceptors; at {@value #ENDPOINT_VARIABLE} (or the system property {@value #ENDPOINT_PROPERTY}) when set.
     */
    public static AssumedRoles like(S3Client s3) {
        return new AssumedRoles(() -> {
            var config = s3.serviceClientConfiguration();
            // the interceptors we added to the S3 client (request counting, usage) and its timeouts only: its override
            // configuration also lists S3's own interceptors (S3AuthSchemeInterceptor), which refuse an STS request
            // (IllegalArgumentException "Expected an instance of S3AuthSchemeProvider": every create with iamRoleArn
            // answered 500)
            var s3Override = config.overrideConfiguration();
            var override = software.amazon.awssdk.core.client.config.ClientOverrideConfiguration.builder();
            s3Override.executionInterceptors().stream()
                    .filter(i -> !i.getClass().getName().startsWith("software.amazon.awssdk.")) // S3's own, not ours
                    .forEach(override::addExecutionInterceptor);
            s3Override.apiCallTimeout().ifPresent(override::apiCallTimeout);
            s3Override.apiCallAttemptTimeout().ifPresent(override::apiCallAttemptTimeout);
            var builder = StsClient.builder().region(config.region()).credentialsProvider(config.credentialsProvider())
                    .overrideConfiguration(override.build())
                    .httpClient(UrlConnectionHttpClient.create());
            String endpoint = System.getProperty(ENDPOINT_PROPERTY, System.getenv(ENDPOINT_VARIABLE));
            if (endpoint != null && !endpoint.isBlank()) {
                builder.endpointOverride(URI.create(endpoint));
            }
            return builder.build();
        });
    }

    /** The session's credentials: the kept provider, or a new one (which assumes the role on its first resolve). */
    synchronized AwsCredentialsProvider credentials(RoleSession session) {
        return sessions.computeIfAbsent(session, s -> StsAssumeRoleCredentialsProvider.builder()
                .stsClient(client())
                .refreshRequest(r -> r.roleArn(s.roleArn()).externalId(s.externalId()).roleSessionName(s.sessionName())
                        .policy(s.policy()).durationSeconds((int) SESSION.toSeconds()))
                .prefetchTime(PREFETCH)
                .asyncCredentialUpdateEnabled(false)
                .build());
    }

    private synchronized StsClient client() {
        if (client == null) {
            client = sts.get();
        }
        return client;
    }

    /**
     * Resolves the credentials now (cached until {@link #PREFETCH} before they expire): STS's refusal (a 4xx: the
     * trust policy, the external id, a role that does not exist, a policy over STS's size) fails with
     * {@code execution.role_not_assumable}; a 5xx or a network failure is thrown as it is (the task is retried).
     */
    static void resolve(AwsCredentialsProvider credentials, RoleSession session) {
        try {
            credentials.resolveCredentials();
        } catch (StsException e) {
            if (e.statusCode() >= 500) {
                throw e;
            }
            throw refused(session, why(e));
        } catch (SdkException e) {
            if (e.getCause() instanceof StsException sts && sts.statusCode() < 500) {
                throw refused(session, why(sts));
            }
            throw e;
        }
    }

    /** STS's error code and message, else the exception's own message (which names the HTTP status). */
    private static String why(StsException e) {
        var details = e.awsErrorDetails();
        return details != null && details.errorCode() != null ? details.errorCode() + ": " + details.errorMessage()
                : e.getMessage();
    }

    private static FileProblem refused(RoleSession session, String why) {
        return new FileProblem("execution.role_not_assumable", "Sluice cannot assume " + session.roleArn()
                + " (" + why + "); its trust policy must allow sts:AssumeRole to the principals GET /execution-role"
                + " names, on the condition sts:ExternalId equals this project's externalId");
    }
}
