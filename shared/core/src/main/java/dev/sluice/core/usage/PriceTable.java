package dev.sluice.core.usage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The dated AWS list prices the usage estimate uses, per region, read from {@code prices.json} beside this class
 * (its date and the pricing pages it was taken from travel with every estimate).
 *
 * @param date    the day the prices were taken from the pages (ISO date)
 * @param sources the AWS pricing pages
 */
public record PriceTable(String date, List<String> sources, Map<String, Prices> regions) {
    private static final PriceTable BUNDLED = load();

    /**
     * One region's prices, in US dollars.
     *
     * @param lambdaGbSecond              Lambda x86_64 compute, per GB-second
     * @param gpuTaskHour                 a GPU pool task (its instance), per hour
     * @param fargateVcpuHour             Fargate (Linux, x86_64), per vCPU-hour: a CPU pool task's vCPUs
     * @param fargateGbHour               Fargate (Linux, x86_64), per GB-hour: a CPU pool task's memory
     * @param sqsRequestPerMillion        SQS standard requests, per million
     * @param dynamoDbWriteUnitPerMillion DynamoDB on-demand write request units, per million
     * @param dynamoDbReadUnitPerMillion  DynamoDB on-demand read request units, per million
     * @param s3PutPerThousand            S3 Standard PUT/COPY/POST/LIST requests, per thousand
     * @param s3GetPerThousand            S3 Standard GET/HEAD and other requests, per thousand
     */
    public record Prices(double lambdaGbSecond, double gpuTaskHour, double fargateVcpuHour, double fargateGbHour,
                         double sqsRequestPerMillion,
                         double dynamoDbWriteUnitPerMillion, double dynamoDbReadUnitPerMillion,
                         double s3PutPerThousand, double s3GetPerThousand) {
    }

    /** The table in the repository. */
    public static PriceTable bundled() {
        return BUNDLED;
    }

    /** The prices of a region, when the table has them. */
    public Optional<Prices> in(String region) {
        return Optional.ofNullable(region == null ? null : regions.get(region));
    }

    /**
     * What the usage costs at the region's prices, in US dollars: compute (Lambda GB-seconds, pool task hours, a CPU
     * pool task priced by its size) plus the requests (SQS, DynamoDB units, S3 by request class). Bytes fetched and
     * webhook POSTs are counted, not priced (inbound transfer is free; outbound transfer depends on where the endpoint
     * is).
     *
     * @param cpuTask the CPU pool's task size ({@link FargateSize#deployed()})
     */
    public static double costUsd(Usage u, Prices p, FargateSize cpuTask) {
        return UsageReport.gbSeconds(u) * p.lambdaGbSecond()
                + u.gpuTaskMillis() / 3_600_000.0 * p.gpuTaskHour()
                + u.cpuTaskMillis() / 3_600_000.0 * cpuTask.hourUsd(p)
                + u.sqsRequests() / 1e6 * p.sqsRequestPerMillion()
                + u.dynamoWriteMilliUnits() / 1e9 * p.dynamoDbWriteUnitPerMillion()
                + u.dynamoReadMilliUnits() / 1e9 * p.dynamoDbReadUnitPerMillion()
                + u.s3PutRequests() / 1000.0 * p.s3PutPerThousand()
                + u.s3GetRequests() / 1000.0 * p.s3GetPerThousand();
    }

    private static PriceTable load() {
        try (InputStream in = PriceTable.class.getResourceAsStream("prices.json")) {
            if (in == null) {
                throw new IllegalStateException("prices.json is missing beside " + PriceTable.class.getName());
            }
            JsonNode root = Json.tree(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            List<String> sources = new ArrayList<>();
            root.path("sources").forEach(s -> sources.add(s.asText()));
            Map<String, Prices> regions = new TreeMap<>();
            root.path("regions").properties().forEach(e -> regions.put(e.getKey(), Json.MAPPER.convertValue(e.getValue(), Prices.class)));
            return new PriceTable(root.path("date").asText(), List.copyOf(sources), Map.copyOf(regions));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
