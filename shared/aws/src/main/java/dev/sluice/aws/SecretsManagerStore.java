package dev.sluice.aws;

import dev.sluice.core.port.SecretStore;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.Filter;
import software.amazon.awssdk.services.secretsmanager.model.FilterNameStringType;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretListEntry;
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
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        } catch (InvalidRequestException e) {
            // a secret scheduled for deletion (made outside Sluice with a recovery window) is not there for us
            return Optional.empty();
        }
    }

    @Override
    public boolean create(String projectId, String name, String value, long nowMillis) {
        try {
            client().createSecret(b -> b.name(SecretStore.storedName(projectId, name)).secretString(value)
                    .tags(Tag.builder().key(PROJECT_TAG).value(projectId).build()));
            return true;
        } catch (ResourceExistsException e) {
            return false;
        }
    }

    @Override
    public boolean rotate(String projectId, String name, String value, long nowMillis) {
        try {
            client().putSecretValue(b -> b.secretId(SecretStore.storedName(projectId, name)).secretString(value));
            return true;
        } catch (ResourceNotFoundException | InvalidRequestException e) {
            return false;
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
                .limit(max)
                .map(s -> new Info(s.name().substring(prefix.length()), millis(s.createdDate()),
                        millis(s.lastChangedDate() != null ? s.lastChangedDate() : s.createdDate())))
                .toList());
        out.sort(Comparator.comparing(Info::name));
        return out;
    }

    private static long millis(Instant t) {
        return t == null ? 0 : t.toEpochMilli();
    }

    @Override
    public boolean delete(String projectId, String name) {
        try {
            client().deleteSecret(b -> b.secretId(SecretStore.storedName(projectId, name)).forceDeleteWithoutRecovery(true));
            return true;
        } catch (ResourceNotFoundException e) {
            return false;
        }
    }
}
