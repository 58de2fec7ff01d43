package dev.sluice.aws;

import dev.sluice.core.port.SecretStore;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.Filter;
import software.amazon.awssdk.services.secretsmanager.model.FilterNameStringType;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Secrets in AWS Secrets Manager, each project's under its own name prefix {@code sluice/<projectId>/} and tagged
 * {@value #PROJECT_TAG} = projectId (CreateSecret, GetSecretValue, PutSecretValue, ListSecrets filtered by name,
 * DeleteSecret without recovery). The client is made on first use only.
 */
public final class SecretsManagerStore implements SecretStore {
    /** The tag naming a secret's project (the CDK app's IAM conditions require it on CreateSecret). */
    public static final String PROJECT_TAG = "sluice:project";
    private final Supplier<SecretsManagerClient> client;
    private volatile SecretsManagerClient made;

    public SecretsManagerStore(Supplier<SecretsManagerClient> client) {
        this.client = client;
    }

    private SecretsManagerClient client() {
        if (made == null) {
            synchronized (this) {
                if (made == null) {
                    made = client.get();
                }
            }
        }
        return made;
    }

    @Override
    public Optional<String> read(String projectId, String name) {
        try {
            return Optional.ofNullable(client().getSecretValue(b -> b.secretId(SecretStore.storedName(projectId, name)))
                    .secretString());
        } catch (SecretsManagerException e) {
            if (absent(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public boolean create(String projectId, String name, String value, long nowMillis) {
        try {
            client().createSecret(b -> b.name(SecretStore.storedName(projectId, name)).secretString(value)
                    .tags(Tag.builder().key(PROJECT_TAG).value(projectId).build()));
            return true;
        } catch (ResourceExistsException | InvalidRequestException e) {
            // exists, or a secret of that name is still scheduled for deletion: taken either way
            return false;
        }
    }

    @Override
    public boolean rotate(String projectId, String name, String value, long nowMillis) {
        try {
            client().putSecretValue(b -> b.secretId(SecretStore.storedName(projectId, name)).secretString(value));
            return true;
        } catch (SecretsManagerException e) {
            if (absent(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * ListSecrets' name filter is a case-insensitive prefix match: entries are kept only when their name starts with
     * the project's prefix exactly and their tag names the project.
     */
    @Override
    public List<Info> list(String projectId, int max) {
        String prefix = SecretStore.storedName(projectId, "");
        List<Info> out = new ArrayList<>(client().listSecretsPaginator(b -> b.maxResults(100)
                        .filters(Filter.builder().key(FilterNameStringType.NAME).values(prefix).build())).stream()
                .flatMap(page -> page.secretList().stream())
                .filter(s -> s.name().startsWith(prefix) && s.tags().stream()
                        .anyMatch(t -> PROJECT_TAG.equals(t.key()) && projectId.equals(t.value())))
                .map(s -> new Info(s.name().substring(prefix.length()), millis(s.createdDate()),
                        millis(s.lastChangedDate() != null ? s.lastChangedDate() : s.createdDate())))
                .sorted(Comparator.comparing(Info::name))
                .limit(max)
                .toList());
        return out;
    }

    private static long millis(Instant t) {
        return t == null ? 0 : t.toEpochMilli();
    }

    @Override
    public boolean delete(String projectId, String name) {
        try {
            String stored = SecretStore.storedName(projectId, name);
            // DeleteSecret with ForceDeleteWithoutRecovery answers success for a secret that does not exist
            // (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html), so ask first
            client().describeSecret(b -> b.secretId(stored));
            client().deleteSecret(b -> b.secretId(stored).forceDeleteWithoutRecovery(true));
            return true;
        } catch (SecretsManagerException e) {
            if (absent(e)) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Whether an error means "this project has no secret of that name": not found; scheduled for deletion
     * (InvalidRequest); or AccessDenied, which IAM answers for a name that does not exist, because the functions' role
     * may reach only secrets tagged with a project (a missing secret has no tag to match the condition), so whatever
     * the role may not reach is not one of this project's secrets either.
     */
    static boolean absent(SecretsManagerException e) {
        if (e instanceof ResourceNotFoundException || e instanceof InvalidRequestException) {
            return true;
        }
        return e.awsErrorDetails() != null && "AccessDeniedException".equals(e.awsErrorDetails().errorCode());
    }
}
