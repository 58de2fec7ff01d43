package dev.sluice.function.inference;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.leptonica.global.leptonica;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The natives that {@code quarkus.class-loading.removed-resources} (application.properties) strips from function.zip:
 * every listed entry exists in the jar it names (a dependency upgrade that renames its files fails here instead of
 * silently shipping them again), and nothing the function loads on Lambda's linux x86_64 is among them — ONNX
 * Runtime's linux-x64 libraries, and every library JavaCPP actually extracts when it loads Leptonica (whose
 * libjpeg-turbo is the DCT-scaled JPEG decoder), observed in a fresh cache directory in a child JVM rather than listed
 * by hand.
 */
class PackageNativesTest {
    static Map<String, Set<String>> removed;

    @BeforeAll
    static void read() throws IOException {
        Properties p = new Properties();
        try (InputStream in = PackageNativesTest.class.getResourceAsStream("/application.properties")) {
            assertNotNull(in, "application.properties on the classpath");
            p.load(in);
        }
        removed = new HashMap<>();
        String prefix = "quarkus.class-loading.removed-resources.";
        for (String name : p.stringPropertyNames()) {
            if (name.startsWith(prefix)) {
                String artifact = name.substring(prefix.length()).replace("\"", "");
                removed.put(artifact, Stream.of(p.getProperty(name).split(",")).map(String::strip)
                        .filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new)));
            }
        }
        assertTrue(removed.keySet().containsAll(List.of("com.microsoft.onnxruntime:onnxruntime",
                "org.bytedeco:leptonica:linux-x86_64:jar")), removed.keySet().toString());
    }

    /** The jar of {@code group:artifact[:classifier:type]} on this test's classpath. */
    static Path jar(String key) {
        String[] parts = key.split(":");
        String fileStart = parts[1] + "-";
        String classifier = parts.length > 2 ? "-" + parts[2] + ".jar" : null;
        List<Path> found = Stream.of(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(Path::of)
                .filter(f -> f.getFileName().toString().startsWith(fileStart) && f.toString().endsWith(".jar"))
                .filter(f -> f.toString().contains(File.separator + parts[0].replace('.', File.separatorChar) + File.separator))
                .filter(f -> classifier == null ? !f.getFileName().toString().matches(".*-(linux|macosx|windows)-[a-z0-9_]+\\.jar")
                        : f.getFileName().toString().endsWith(classifier))
                .toList();
        assertTrue(found.size() == 1, key + " on the classpath: " + found);
        return found.get(0);
    }

    @Test
    void everyRemovedEntry_existsInTheJarItNames() throws IOException {
        for (var e : removed.entrySet()) {
            try (ZipFile zip = new ZipFile(jar(e.getKey()).toFile())) {
                for (String entry : e.getValue()) {
                    assertNotNull(zip.getEntry(entry), e.getKey() + " has no " + entry + ": update application.properties");
                }
            }
        }
    }

    @Test
    void onnxRuntimesLinuxX64Libraries_stay() throws IOException {
        Set<String> gone = removed.get("com.microsoft.onnxruntime:onnxruntime");
        try (ZipFile zip = new ZipFile(jar("com.microsoft.onnxruntime:onnxruntime").toFile())) {
            List<String> linux = zip.stream().map(z -> z.getName())
                    .filter(n -> n.startsWith("ai/onnxruntime/native/linux-x64/") && !n.endsWith("/")).toList();
            assertFalse(linux.isEmpty());
            for (String n : linux) {
                assertFalse(gone.contains(n), n + " is what Lambda x86_64 loads");
            }
            // and every other platform's library is gone
            zip.stream().map(z -> z.getName())
                    .filter(n -> n.startsWith("ai/onnxruntime/native/") && !n.startsWith("ai/onnxruntime/native/linux-x64/") && !n.endsWith("/"))
                    .forEach(n -> assertTrue(gone.contains(n), n + " is not removed"));
        }
    }

    @Test
    void everyLibraryJavaCppExtractsForLeptonica_stays() throws Exception {
        // a child JVM with a fresh cache directory: in this one, another test may have loaded Leptonica already
        Path cache = Files.createTempDirectory("sluice-javacpp-probe");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                LoadLeptonica.class.getName(), cache.toString()).redirectErrorStream(true).start();
        String output = new String(child.getInputStream().readAllBytes());
        assertTrue(child.waitFor() == 0, output);
        Set<String> loaded;
        try (Stream<Path> files = Files.walk(cache)) {
            loaded = files.filter(Files::isRegularFile).map(f -> f.getFileName().toString())
                    .filter(n -> n.contains(".so")).collect(Collectors.toCollection(TreeSet::new));
        }
        Set<String> removedNames = removed.get("org.bytedeco:leptonica:linux-x86_64:jar").stream()
                .map(n -> n.substring(n.lastIndexOf('/') + 1)).collect(Collectors.toSet());
        assertTrue(loaded.containsAll(List.of("libleptonica.so.6", "libjnileptonica.so")), "libraries extracted: " + loaded);
        for (String lib : loaded) {
            assertFalse(removedNames.contains(lib), lib + " is loaded by JavaCPP for Leptonica but removed from function.zip");
        }
    }

    /** Loads Leptonica with JavaCPP, extracting its libraries into the cache directory given. */
    public static final class LoadLeptonica {
        public static void main(String[] args) {
            System.setProperty("org.bytedeco.javacpp.cachedir", args[0]);
            Loader.load(leptonica.class);
        }
    }
}
