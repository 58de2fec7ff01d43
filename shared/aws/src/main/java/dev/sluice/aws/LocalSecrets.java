package dev.sluice.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.port.SecretStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Local mode's secrets: one JSON file per secret, {@code <folder>/sluice/<projectId>/<name>.json} holding the value
 * and its times (owner-only permissions where the file system has them). The folder is {@code SLUICE_SECRETS_DIR},
 * else {@code ~/.sluice/secrets}. Writes are atomic (a file moved into place) and serialized in this JVM.
 */
public final class LocalSecrets implements SecretStore {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path folder;

    public LocalSecrets(Path folder) {
        this.folder = folder.toAbsolutePath().normalize();
    }

    public static LocalSecrets fromEnvironment() {
        String dir = System.getProperty("sluice.secretsDir", System.getenv("SLUICE_SECRETS_DIR"));
        return new LocalSecrets(dir != null ? Path.of(dir)
                : Path.of(System.getProperty("user.home"), ".sluice", "secrets"));
    }

    private Path project(String projectId) {
        Path p = folder.resolve(PREFIX).resolve(projectId).normalize();
        if (!p.getParent().equals(folder.resolve(PREFIX).normalize())) {
            throw new IllegalArgumentException("not a project id: " + projectId);
        }
        return p;
    }

    private Path file(String projectId, String name) {
        Path f = project(projectId).resolve(name + ".json").normalize();
        if (!f.getParent().equals(project(projectId))) {
            throw new IllegalArgumentException("not a secret name: " + name);
        }
        return f;
    }

    private static Optional<JsonNode> load(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readTree(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void save(Path file, String value, long created, long updated) {
        try {
            Files.createDirectories(file.getParent());
            Path partial = Files.createTempFile(file.getParent(), ".secret-", ".partial");
            try {
                Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // a file system without POSIX permissions (Windows): the folder's own access applies
            }
            Files.writeString(partial, JSON.writeValueAsString(Map.of("value", value, "createTime", created,
                    "updateTime", updated)), StandardCharsets.UTF_8);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Optional<String> read(String projectId, String name) {
        return load(file(projectId, name)).map(n -> n.path("value").asText());
    }

    @Override
    public synchronized boolean create(String projectId, String name, String value, long nowMillis) {
        Path f = file(projectId, name);
        if (Files.exists(f)) {
            return false;
        }
        save(f, value, nowMillis, nowMillis);
        return true;
    }

    @Override
    public synchronized boolean rotate(String projectId, String name, String value, long nowMillis) {
        Path f = file(projectId, name);
        Optional<JsonNode> old = load(f);
        if (old.isEmpty()) {
            return false;
        }
        save(f, value, old.get().path("createTime").asLong(), nowMillis);
        return true;
    }

    @Override
    public List<Info> list(String projectId, int max) {
        Path dir = project(projectId);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Info> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().limit(max).toList()) {
                String file = f.getFileName().toString();
                load(f).ifPresent(n -> out.add(new Info(file.substring(0, file.length() - ".json".length()),
                        n.path("createTime").asLong(), n.path("updateTime").asLong())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    @Override
    public synchronized boolean delete(String projectId, String name) {
        try {
            return Files.deleteIfExists(file(projectId, name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
