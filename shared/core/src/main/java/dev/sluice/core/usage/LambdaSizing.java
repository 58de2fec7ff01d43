package dev.sluice.core.usage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;

/**
 * What one photo costs on Lambda at each memory size and architecture the deployment offers, from a measurement of
 * the inference stage (`./sluice bench`), and the cheapest of them: the inference function's default in the CDK app.
 *
 * <p>The rule (AWS Lambda, "Configure Lambda function memory",
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html): a function gets CPU in proportion to its
 * memory, one vCPU at 1,769 MB, up to 6 vCPUs at 10,240 MB, and is billed GB-seconds of wall time. So an invocation of
 * {@code n} photos lasts {@code idle + n × cpu / (vCPUs × utilisation)} seconds, where {@code cpu} is the measured
 * CPU-seconds per photo (fetch, decode, preprocess, ONNX Runtime: all of the process), {@code utilisation} the measured
 * busy share of the cores while photos flow and {@code idle} the wall time of an invocation no core works (waiting for
 * the first batch's items). Beyond the vCPUs of the measuring machine the utilisation is the measured one (an
 * extrapolation, said so by {@link Estimate#measured()} being about the architecture only).
 */
public final class LambdaSizing {
    private LambdaSizing() {
    }

    /** MB of memory that give one vCPU (the Lambda documentation above). */
    public static final int MB_PER_VCPU = 1769;
    /** Lambda's largest memory size, MB (6 vCPUs). */
    public static final int MAX_MB = 10_240;

    /** The instruction sets Lambda runs functions on, as CloudFormation's {@code Architectures} names them. */
    public enum Architecture {
        X86_64("x86_64"), ARM64("arm64");

        private final String wire;

        Architecture(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Architecture of(String wire) {
            for (Architecture a : values()) {
                if (a.wire.equals(wire)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("unknown Lambda architecture " + wire);
        }
    }

    /** @param memoryMb the function's memory, MB */
    public record Size(int memoryMb) {
        /** vCPUs Lambda gives this size (fractional below 1,769 MB), at most 6. */
        public double vcpus() {
            return Math.min(6.0, (double) memoryMb / MB_PER_VCPU);
        }

        public double gigabytes() {
            return memoryMb / 1024.0;
        }
    }

    /** The sizes the CDK app offers for the inference function: whole vCPUs, 1 to 6 (1,769 MB each, 10,240 MB last). */
    public static final List<Size> OFFERED = List.of(new Size(MB_PER_VCPU), new Size(2 * MB_PER_VCPU),
            new Size(3 * MB_PER_VCPU), new Size(4 * MB_PER_VCPU), new Size(5 * MB_PER_VCPU), new Size(MAX_MB));

    /**
     * One bench run of the inference stage.
     *
     * @param date                       when (ISO date)
     * @param machine                    where (cores, CPU, load)
     * @param architecture               the instruction set it ran on: the only one whose estimates are measured
     * @param cpuSecondsPerPhoto         process CPU per photo, seconds
     * @param utilisation                CPU-seconds ÷ (wall seconds × cores) while the stage ran, 0 to 1
     * @param idleSecondsPerInvocation   wall seconds per invocation with no photo to work on (the first batch's items)
     * @param photosPerInvocation        photos per invocation (10 SQS messages of a batch each)
     * @param orchestrationUsdPerMillion DynamoDB, SQS and S3 requests per million photos, US dollars (the bench's
     *                                   request counts at the price table's prices)
     */
    public record Measurement(String date, String machine, Architecture architecture, double cpuSecondsPerPhoto,
                              double utilisation, double idleSecondsPerInvocation, int photosPerInvocation,
                              double orchestrationUsdPerMillion) {
        public Measurement {
            if (!(cpuSecondsPerPhoto > 0) || !(utilisation > 0 && utilisation <= 1) || idleSecondsPerInvocation < 0
                    || photosPerInvocation < 1 || orchestrationUsdPerMillion < 0) {
                throw new IllegalArgumentException("not a measurement: " + cpuSecondsPerPhoto + " CPU-s, utilisation "
                        + utilisation + ", idle " + idleSecondsPerInvocation + " s, " + photosPerInvocation + " photos");
            }
        }
    }

    /**
     * Lambda's prices of one region, US dollars.
     *
     * @param date              the price table's date
     * @param x86GbSecond       per GB-second, x86_64
     * @param arm64GbSecond     per GB-second, arm64
     * @param requestPerMillion per million invocations (both)
     */
    public record Prices(String date, double x86GbSecond, double arm64GbSecond, double requestPerMillion) {
        double gbSecond(Architecture a) {
            return a == Architecture.ARM64 ? arm64GbSecond : x86GbSecond;
        }
    }

    /**
     * One size and architecture.
     *
     * @param gbSecondsPerPhoto billed GB-seconds per photo
     * @param usdPerMillion     compute + invocations + orchestration per million photos
     * @param measured          false when the architecture is not the measured one (the same CPU-seconds assumed)
     */
    public record Estimate(Size size, Architecture architecture, double gbSecondsPerPhoto, double usdPerMillion,
                           boolean measured) {
    }

    public static Estimate estimate(Measurement m, Size size, Architecture architecture, Prices prices) {
        double wallPerPhoto = m.cpuSecondsPerPhoto() / (size.vcpus() * m.utilisation())
                + m.idleSecondsPerInvocation() / m.photosPerInvocation();
        double gbSeconds = size.gigabytes() * wallPerPhoto;
        double usd = gbSeconds * prices.gbSecond(architecture) * 1e6
                + prices.requestPerMillion() / m.photosPerInvocation() + m.orchestrationUsdPerMillion();
        return new Estimate(size, architecture, gbSeconds, usd, architecture == m.architecture());
    }

    /** Every offered size on every architecture, x86_64 first, smallest first. */
    public static List<Estimate> estimates(Measurement m, Prices prices) {
        return java.util.Arrays.stream(Architecture.values())
                .flatMap(a -> OFFERED.stream().map(s -> estimate(m, s, a, prices))).toList();
    }

    /**
     * The cheapest per photo among the measured estimates (an architecture that was not measured is never chosen: its
     * CPU time per photo is a guess), the smaller size on a tie.
     */
    public static Estimate cheapest(Measurement m, Prices prices) {
        return estimates(m, prices).stream().filter(Estimate::measured)
                .min(Comparator.comparingDouble(Estimate::usdPerMillion)
                        .thenComparingInt(e -> e.size().memoryMb())).orElseThrow();
    }

    /**
     * The inference function's memory size and architecture in the CDK app unless the operator sets
     * {@code inferenceMemorySize}: the cheapest per photo of {@link #OFFERED} by the {@link #recorded()} measurement at
     * the dated us-east-1 prices. An execution's Lambda {@code compute.instance} defaults to its memory size.
     */
    public static Estimate deployedDefault() {
        return cheapest(recorded(), prices("us-east-1"));
    }

    /** The inference stage's measurement recorded from the README's bench run ({@code lambda-measurement.json}). */
    public static Measurement recorded() {
        JsonNode n = resource("lambda-measurement.json");
        return new Measurement(n.path("date").asText(), n.path("machine").asText(),
                Architecture.of(n.path("architecture").asText()), n.path("cpuSecondsPerPhoto").asDouble(),
                n.path("utilisation").asDouble(), n.path("idleSecondsPerInvocation").asDouble(),
                n.path("photosPerInvocation").asInt(), n.path("orchestrationUsdPerMillion").asDouble());
    }

    /** Lambda's prices in a region from the dated price table ({@code prices.json}, shared with the usage report). */
    public static Prices prices(String region) {
        JsonNode root = resource("prices.json");
        JsonNode r = root.path("regions").path(region);
        if (r.isMissingNode()) {
            throw new IllegalArgumentException("the price table has no region " + region);
        }
        return new Prices(root.path("date").asText(), r.path("lambdaGbSecond").asDouble(),
                r.path("lambdaArm64GbSecond").asDouble(), r.path("lambdaRequestPerMillion").asDouble());
    }

    private static JsonNode resource(String name) {
        try (InputStream in = LambdaSizing.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing beside " + LambdaSizing.class.getName());
            }
            return Json.tree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
