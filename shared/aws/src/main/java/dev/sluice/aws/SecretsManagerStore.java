package dev.sluice.aws;

import dev.sluice.core.port.SecretStore;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

import java.util.Optional;
import java.util.function.Supplier;

/** Secrets in AWS Secrets Manager (GetSecretValue, the SecretString); the client is made on first use only. */
public final class SecretsManagerStore implements SecretStore {
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
    public Optional<String> read(String name) {
        try {
            return Optional.ofNullable(client().getSecretValue(b -> b.secretId(name)).secretString());
        } catch (ResourceNotFoundException e) {
            return Optional.empty();
        }
    }
}
