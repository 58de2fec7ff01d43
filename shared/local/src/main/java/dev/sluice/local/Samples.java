package dev.sluice.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The bundled sample model, labels and photos (see samples/README.md for provenance). */
public final class Samples {
    /** The four photos of the demo and their expected top-1 ImageNet label. */
    public static final List<String[]> PHOTOS = List.of(
            new String[]{"coffee.png", "espresso"},
            new String[]{"goldfish.jpg", "goldfish"},
            new String[]{"squirrel_cls.jpg", "fox squirrel"},
            new String[]{"pineapple.png", "pineapple"});

    private Samples() {
    }

    /** The samples folder: $SLUICE_HOME/samples, or found by walking up from the working directory. */
    public static Path root() {
        String home = System.getenv("SLUICE_HOME");
        if (home != null && Files.isDirectory(Path.of(home, "samples"))) {
            return Path.of(home, "samples");
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("samples");
            if (Files.isRegularFile(candidate.resolve("README.md")) && Files.isDirectory(candidate.resolve("images"))) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("samples/ not found above " + Path.of("").toAbsolutePath());
    }

    public static Path image(String name) {
        return root().resolve("images").resolve(name);
    }

    public static Path classifier() {
        return root().resolve("models/mobilenetv2-12-int8.onnx");
    }

    public static byte[] bytes(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** ImageNet labels: the first name of each synset line ("n01443537 goldfish, Carassius auratus" → "goldfish"). */
    public static List<String> imagenetLabels() {
        try {
            return dev.sluice.core.model.Labels.parse(Files.readAllLines(root().resolve("models/synset.txt")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
