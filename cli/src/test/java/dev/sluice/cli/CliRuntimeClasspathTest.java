package dev.sluice.cli;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 16: what the CLI ships (`sluice local`, `sluice demo`, the client commands) holds no test fixture and no test
 * framework. The CLI runs on sluice-local (the emulators, event sources, provisioning); sluice-testing (FaultInjector,
 * HandlerFixture, ...) is a test-scope dependency only, and Mockito (which DynamoDB Local's pom drags in at compile
 * scope, unused) is excluded. Adding sluice-testing back at compile scope, or a dependency that brings Mockito or
 * JUnit, fails this test.
 *
 * <p>The runtime classpath is the one Maven resolves for the CLI (the build-classpath execution of cli/pom.xml,
 * includeScope runtime: the same scope the launcher's target/lib is copied with); every class of every entry, jar or
 * folder, is looked at, so a fixture cannot come in under another artifact's name.
 */
class CliRuntimeClasspathTest {
    /** Packages (as class-file path prefixes) that are test code: our fixtures and the test frameworks. */
    static final List<String> TEST_ONLY = List.of("dev/sluice/testing/", "org/mockito/", "org/junit/", "net/jqwik/");

    @Test
    void runtimeClasspath_holdsNoTestFixtureOrTestFramework() {
        List<Path> runtime = runtimeClasspath();
        Map<String, String> found = scan(runtime, TEST_ONLY);
        assertEquals(Map.of(), found, "test-only classes on the CLI's runtime classpath (prefix -> where): "
                + "keep sluice-testing, Mockito and JUnit in test scope");
        // the scan saw the local runtime, so an empty result above means something
        assertTrue(scan(runtime, List.of("dev/sluice/local/EmulatorStack.class")).containsKey("dev/sluice/local/EmulatorStack.class"),
                "the local runtime (sluice-local) is not on the runtime classpath: " + runtime);
    }

    /** The same scan over this test's own classpath, which has the fixtures and JUnit, finds them. */
    @Test
    void scan_findsTheFixturesOnTheTestClasspath() {
        String testPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Map<String, String> found = scan(entries(testPath), TEST_ONLY);
        assertTrue(found.containsKey("dev/sluice/testing/"), "FaultInjector and HandlerFixture not found: " + found);
        assertTrue(found.containsKey("org/junit/"), "JUnit not found: " + found);
    }

    /** target/runtime-classpath.txt, written by maven-dependency-plugin's build-classpath before the tests. */
    static List<Path> runtimeClasspath() {
        Path file = Path.of("target", "runtime-classpath.txt");
        assertTrue(Files.isRegularFile(file), file.toAbsolutePath() + " is missing: run the tests through Maven"
                + " (cli/pom.xml's runtime-classpath execution writes it)");
        try {
            return entries(Files.readString(file, StandardCharsets.UTF_8).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Path> entries(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of).toList();
    }

    /**
     * For each prefix, the first classpath entry holding a class file under it (multi-release jars' versioned
     * entries included); prefixes found nowhere are absent.
     */
    static Map<String, String> scan(List<Path> classpath, List<String> prefixes) {
        Map<String, String> found = new TreeMap<>();
        for (Path entry : classpath) {
            for (String name : classNames(entry)) {
                String plain = name.replaceFirst("^META-INF/versions/\\d+/", "");
                for (String prefix : prefixes) {
                    if (plain.startsWith(prefix)) {
                        found.putIfAbsent(prefix, entry + "!" + name);
                    }
                }
            }
        }
        return found;
    }

    private static List<String> classNames(Path entry) {
        List<String> names = new ArrayList<>();
        if (Files.isDirectory(entry)) {
            try (Stream<Path> files = Files.walk(entry)) {
                files.filter(f -> f.toString().endsWith(".class"))
                        .forEach(f -> names.add(entry.relativize(f).toString().replace(File.separatorChar, '/')));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        } else if (Files.isRegularFile(entry) && entry.toString().endsWith(".jar")) {
            try (ZipFile zip = new ZipFile(entry.toFile())) {
                zip.stream().map(ZipEntry::getName).filter(n -> n.endsWith(".class")).forEach(names::add);
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + entry, e);
            }
        }
        return names;
    }
}
