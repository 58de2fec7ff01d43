package dev.sluice.core.usage;

import java.util.List;

/**
 * A job's, execution's or project's usage as the API shows it ({@code status.usage}, {@code GET /usage}): the
 * quantities in the units AWS bills and the estimated cost at the dated prices of the deployment's region.
 *
 * @param lambdaGbSeconds    Lambda compute: the functions' own timing of their work × their memory, GB-seconds
 * @param gpuTaskSeconds     GPU pool task time, seconds
 * @param cpuTaskSeconds     CPU pool task time, seconds
 * @param sqsRequests        SQS requests (the functions' own, plus two per invocation for the event source mapping)
 * @param dynamoDbReadUnits  DynamoDB read capacity units consumed (as DynamoDB reported them)
 * @param dynamoDbWriteUnits DynamoDB write capacity units consumed (as DynamoDB reported them)
 * @param s3Requests         S3 requests of both classes
 * @param s3PutRequests      of which PUT/COPY/POST/LIST
 * @param s3GetRequests      of which GET/HEAD and others
 * @param bytesFetched       bytes read from items' and files' sources
 * @param webhookPosts       webhook POSTs sent, retries included
 * @param estimatedCostUsd   the estimate in US dollars at {@code priceTable}'s prices; null when the table has no
 *                           prices for the deployment's region
 * @param priceTable         the table used: its region, date and sources; null as above
 */
public record UsageReport(double lambdaGbSeconds, double gpuTaskSeconds, double cpuTaskSeconds, long sqsRequests,
                          double dynamoDbReadUnits, double dynamoDbWriteUnits, long s3Requests, long s3PutRequests,
                          long s3GetRequests, long bytesFetched, long webhookPosts, Double estimatedCostUsd,
                          PriceRef priceTable) {

    /** The price table an estimate used. */
    public record PriceRef(String region, String date, List<String> sources) {
    }

    /** The report of this usage at the bundled table's prices for the region. */
    public static UsageReport of(Usage u, String region) {
        PriceTable table = PriceTable.bundled();
        var prices = table.in(region);
        return new UsageReport(round(gbSeconds(u), 6), u.gpuTaskMillis() / 1000.0, u.cpuTaskMillis() / 1000.0,
                u.sqsRequests(), u.dynamoReadMilliUnits() / 1000.0, u.dynamoWriteMilliUnits() / 1000.0,
                u.s3PutRequests() + u.s3GetRequests(), u.s3PutRequests(), u.s3GetRequests(), u.bytesFetched(),
                u.webhookPosts(), prices.map(p -> round(PriceTable.costUsd(u, p, FargateSize.deployed()), 9)).orElse(null),
                prices.map(p -> new PriceRef(region, table.date(), table.sources())).orElse(null));
    }

    /** The deployment's region: {@code AWS_REGION} (Lambda and ECS set it), us-east-1 where it is unset (local). */
    public static String deploymentRegion() {
        String region = System.getenv("AWS_REGION");
        return region == null || region.isBlank() ? "us-east-1" : region;
    }

    static double gbSeconds(Usage u) {
        return u.lambdaMbMillis() / 1024.0 / 1000.0;
    }

    private static double round(double v, int digits) {
        return java.math.BigDecimal.valueOf(v).setScale(digits, java.math.RoundingMode.HALF_UP).doubleValue();
    }
}
