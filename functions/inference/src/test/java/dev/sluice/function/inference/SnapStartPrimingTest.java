package dev.sluice.function.inference;

import dev.sluice.inference.OnnxPredictor;
import dev.sluice.local.Samples;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** SnapStart priming and uniqueness after restore (issue 26 item 5; README "Cold start and SnapStart"). */
class SnapStartPrimingTest {
    @Test
    void snapStartInit_primesTheDummyInference_onDemandInitDoesNot() {
        try (OnnxPredictor predictor = new OnnxPredictor(m -> Samples.bytes(Samples.classifier()), 2)) {
            var onDemand = new SnapStartPriming(predictor, null, null);
            onDemand.start(SnapStartPriming.Initialization.of(null));
            assertNull(onDemand.primed(), "on-demand init (and outside Lambda) does not prime");

            var snapStart = new SnapStartPriming(predictor, null, null);
            snapStart.start(SnapStartPriming.Initialization.of("snap-start"));
            assertNotNull(snapStart.primed());
            assertEquals(2, snapStart.primed().top1ClassId(), "the bundled classifier's answer for its photo");
            assertEquals(0, predictor.modelBusyNanos(), "no priming time is reported as a job's model time");

            assertEquals(SnapStartPriming.Initialization.PROVISIONED_CONCURRENCY,
                    SnapStartPriming.Initialization.of("provisioned-concurrency"));
            assertEquals(true, SnapStartPriming.Initialization.PROVISIONED_CONCURRENCY.primes());

            snapStart.beforeCheckpoint(null);
            snapStart.afterRestore(null);
            snapStart.afterRestore(null);
            assertEquals(2, snapStart.restores());
        }
    }

    /**
     * What Lambda runs draws no randomness that a snapshot would copy: no java.util.Random, ThreadLocalRandom,
     * SplittableRandom or Math.random in the functions' and shared modules' main code (dev.sluice.core.Jitter and
     * SecureRandom instead; https://docs.aws.amazon.com/lambda/latest/dg/snapstart-uniqueness.html). The test harness
     * (shared/testing) seeds its fault injector on purpose and is not deployed.
     */
    @Test
    void deployedCode_drawsNoRandomnessThatASnapshotWouldCopy() throws IOException {
        Path root = Path.of("").toAbsolutePath().getParent().getParent();
        Pattern unsafe = Pattern.compile("ThreadLocalRandom|new (java\\.util\\.)?Random\\(|SplittableRandom|Math\\.random\\(");
        List<String> found;
        try (Stream<Path> files = Stream.of("shared", "functions").flatMap(d -> {
            try {
                return Files.walk(root.resolve(d));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })) {
            found = files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/main/")
                            && !p.toString().contains("/shared/testing/") && !p.toString().contains("/target/"))
                    .filter(p -> {
                        try {
                            return Files.readAllLines(p).stream().filter(l -> !l.trim().startsWith("*") && !l.trim().startsWith("//"))
                                    .anyMatch(l -> unsafe.matcher(l).find());
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(p -> root.relativize(p).toString()).toList();
        }
        assertEquals(List.of(), found);
    }
}
