package dev.sluice.core.port;

import java.util.Optional;

/** Stored secrets, by name: AWS Secrets Manager on AWS, a folder of files in local mode. Values are never logged. */
public interface SecretStore {
    /** Names an execution may use start with this, so the functions' role can read those and no others. */
    String PREFIX = "sluice/";

    /** The secret's value (its SecretString), or empty when there is no secret of that name. */
    Optional<String> read(String name);
}
