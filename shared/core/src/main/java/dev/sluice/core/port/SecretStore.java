package dev.sluice.core.port;

import java.util.List;
import java.util.Optional;

/**
 * Stored secrets of a project, by name: AWS Secrets Manager on AWS, a folder of files in local mode. Every operation
 * takes the project and reaches only that project's secrets (stored as {@link #storedName}); another project's name
 * is indistinguishable from a name that does not exist. Values are never logged and never listed.
 */
public interface SecretStore {
    /** Every stored name starts with this, so the functions' role can reach those secrets and no others (IAM). */
    String PREFIX = "sluice/";

    /** A stored secret without its value: its name in the project, and when it was created and last given a value (ms). */
    record Info(String name, long createTime, long updateTime) {
    }

    /** The name in the store of a project's secret: {@code sluice/<projectId>/<name>}. */
    static String storedName(String projectId, String name) {
        return PREFIX + projectId + "/" + name;
    }

    /** The value of the project's secret, or empty when the project has no secret of that name. */
    Optional<String> read(String projectId, String name);

    /** Stores a new secret; false (nothing changed) when the project has one of that name already. */
    boolean create(String projectId, String name, String value, long nowMillis);

    /** Gives an existing secret a new value; false when the project has no secret of that name. */
    boolean rotate(String projectId, String name, String value, long nowMillis);

    /** The project's secrets in name order, at most max of them. */
    List<Info> list(String projectId, int max);

    /** Deletes the secret at once (no recovery window, so the name can be created again); false when absent. */
    boolean delete(String projectId, String name);
}
