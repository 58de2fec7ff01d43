package dev.sluice.bench;

import java.util.Map;
import java.util.Set;

/**
 * Requests per 1,000 items and the orchestration cost per million images, from the AWS price list (us-east-1,
 * on-demand): DynamoDB $0.625 per million write request units and $0.125 per million read request units; SQS
 * standard $0.40 per million requests; S3 Standard $0.005 per 1,000 PUT/LIST and $0.0004 per 1,000 GET/HEAD.
 * Lambda compute is not orchestration and is not included; the item's own read is not either.
 */
final class Costs {
    static final double DYNAMO_WRU = 0.625 / 1e6;
    static final double DYNAMO_RRU = 0.125 / 1e6;
    static final double SQS_REQUEST = 0.40 / 1e6;
    static final double S3_PUT = 0.005 / 1000;
    static final double S3_GET = 0.0004 / 1000;
    static final Set<String> DYNAMO_WRITES = Set.of("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem");

    private Costs() {
    }

    static void addTo(Table table, Map<String, Long> requests, int items) {
        double per1000 = 1000.0 / items;
        long dynamoWrites = sum(requests, e -> e.startsWith("DynamoDb:") && DYNAMO_WRITES.contains(e.substring(9)));
        long dynamoReads = sum(requests, e -> e.matches("DynamoDb:(GetItem|Query|BatchGetItem)"));
        long sqs = sum(requests, e -> e.startsWith("Sqs:") && !e.endsWith("(empty)"));
        long s3Puts = sum(requests, e -> e.matches("S3:(PutObject|ListObjectsV2|CopyObject)"));
        long s3Gets = sum(requests, e -> e.matches("S3:(GetObject|HeadObject)"));
        double wru = requests.getOrDefault("DynamoDb:WCU*1000", 0L) / 1000.0;
        double rru = requests.getOrDefault("DynamoDb:RCU*1000", 0L) / 1000.0;
        table.add("requests / 1,000 items", "DynamoDB writes (requests; capacity units)",
                String.format("%.1f; %.1f WRU", dynamoWrites * per1000, wru * per1000), "≤ 40", dynamoWrites * per1000 <= 40);
        table.add("requests / 1,000 items", "DynamoDB reads (requests; capacity units)",
                String.format("%.1f; %.1f RRU", dynamoReads * per1000, rru * per1000), null, null);
        table.add("requests / 1,000 items", "SQS requests (sends, receives with messages, deletes, visibility)",
                String.format("%.1f", sqs * per1000), "≤ 60", sqs * per1000 <= 60);
        table.add("requests / 1,000 items", "S3 requests besides the items' own reads",
                String.format("%.1f (%.1f PUT/LIST, %.1f GET/HEAD)", (s3Puts + s3Gets) * per1000, s3Puts * per1000,
                        s3Gets * per1000), "≤ 40", (s3Puts + s3Gets) * per1000 <= 40);
        double perMillion = 1e6 / items;
        double dynamoCost = (wru * DYNAMO_WRU + rru * DYNAMO_RRU) * perMillion;
        double sqsCost = sqs * SQS_REQUEST * perMillion;
        double s3Cost = (s3Puts * S3_PUT + s3Gets * S3_GET) * perMillion;
        double total = dynamoCost + sqsCost + s3Cost;
        table.add("cost / 1M images", String.format("DynamoDB %.1f WRU×$0.625/M + %.1f RRU×$0.125/M per 1,000 items",
                wru * per1000, rru * per1000), String.format("$%.4f", dynamoCost), null, null);
        table.add("cost / 1M images", String.format("SQS %.1f requests×$0.40/M per 1,000 items", sqs * per1000),
                String.format("$%.4f", sqsCost), null, null);
        table.add("cost / 1M images", String.format("S3 %.1f PUT×$0.005/1k + %.1f GET×$0.0004/1k per 1,000 items",
                s3Puts * per1000, s3Gets * per1000), String.format("$%.4f", s3Cost), null, null);
        table.add("cost / 1M images", "orchestration total", String.format("$%.4f", total), "≤ $0.10", total <= 0.10);
    }

    /** DynamoDB + SQS + S3 per million images, US dollars, from the requests counted during a job of {@code items}. */
    static double orchestrationPerMillion(Map<String, Long> requests, int items) {
        long sqs = sum(requests, e -> e.startsWith("Sqs:") && !e.endsWith("(empty)"));
        long s3Puts = sum(requests, e -> e.matches("S3:(PutObject|ListObjectsV2|CopyObject)"));
        long s3Gets = sum(requests, e -> e.matches("S3:(GetObject|HeadObject)"));
        double wru = requests.getOrDefault("DynamoDb:WCU*1000", 0L) / 1000.0;
        double rru = requests.getOrDefault("DynamoDb:RCU*1000", 0L) / 1000.0;
        return (wru * DYNAMO_WRU + rru * DYNAMO_RRU + sqs * SQS_REQUEST + s3Puts * S3_PUT + s3Gets * S3_GET) * 1e6 / items;
    }

    /** Requests of the pipeline only: the API's ({@code api:…}, a client polling) are not orchestration. */
    private static long sum(Map<String, Long> requests, java.util.function.Predicate<String> which) {
        return requests.entrySet().stream().filter(e -> which.test(e.getKey()) && !e.getKey().contains("*"))
                .mapToLong(Map.Entry::getValue).sum();
    }
}
