package dev.sluice.aws;

import dev.sluice.core.port.SecretStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Local mode's secrets: one file per secret under a folder ({@code sluice/source-key} is the file
 * {@code <folder>/sluice/source-key}), the value being the file's text without a trailing newline. The folder is
 * {@code SLUICE_SECRETS_DIR}, else {@code ~/.sluice/secrets}.
 */
public final class LocalSecrets implements SecretStore {
    private final Path folder;

    public LocalSecrets(Path folder) {
        this.folder = folder;
    }

    public static LocalSecrets fromEnvironment() {
        String dir = System.getProperty("sluice.secretsDir", System.getenv("SLUICE_SECRETS_DIR"));
        return new LocalSecrets(dir != null ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".sluice", "secrets"));
    }

    @Override
    public Optional<String> read(String name) {
        Path file = folder.resolve(name).normalize();
        if (!file.startsWith(folder.normalize()) || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).stripTrailing());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
