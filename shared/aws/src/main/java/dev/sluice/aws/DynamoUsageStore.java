package dev.sluice.aws;

import dev.sluice.core.usage.Usage;
import dev.sluice.core.usage.UsageStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.sluice.aws.Dynamo.s;

/**
 * Projects' daily usage items, in the jobs table under the key {@code usage#<projectId>#<yyyy-MM-dd>}: no
 * {@code projectId} attribute (so no job listing's index holds them) and a key no job id can take (job ids start
 * {@code batchjob_}). A day is added to with atomic {@code ADD} (one UpdateItem per job or execution that ends, which
 * counts to no job's usage);
 * a range is read with BatchGetItem, 100 keys a request, so {@link UsageStore#MAX_DAYS} days take at most 4 reads.
 */
public final class DynamoUsageStore implements UsageStore {
    static final String PREFIX = "usage#";
    private final DynamoDbClient dynamo;
    private final SluiceConfig config;

    public DynamoUsageStore(DynamoDbClient dynamo, SluiceConfig config) {
        this.dynamo = dynamo;
        this.config = config;
    }

    static String key(String projectId, LocalDate day) {
        return PREFIX + projectId + "#" + day;
    }

    @Override
    public void rollUp(String projectId, long endTime, Usage use) {
        if (use.isZero()) {
            return;
        }
        LocalDate day = Instant.ofEpochMilli(endTime).atZone(ZoneOffset.UTC).toLocalDate();
        List<String> adds = new ArrayList<>();
        Map<String, String> names = new HashMap<>();
        Map<String, AttributeValue> values = new HashMap<>();
        UsageAttributes.add(use, adds, names, values);
        // the project's bookkeeping, not a job's work: counted to no job (README "Usage and cost")
        dev.sluice.core.usage.UsageMeter.process().uncounted(() -> dynamo.updateItem(b -> b.tableName(config.jobsTable())
                .key(Map.of("jobId", s(key(projectId, day))))
                .updateExpression("ADD " + String.join(", ", adds))
                .expressionAttributeNames(names).expressionAttributeValues(values)));
    }

    @Override
    public Usage project(String projectId, LocalDate fromDay, LocalDate toDay) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (LocalDate d = fromDay; !d.isAfter(toDay) && keys.size() < MAX_DAYS; d = d.plusDays(1)) {
            keys.add(Map.of("jobId", s(key(projectId, d))));
        }
        Usage sum = Usage.ZERO;
        for (int i = 0; i < keys.size(); i += RequestLimits.BATCH_GET_KEYS) {
            Map<String, KeysAndAttributes> request = Map.of(config.jobsTable(), KeysAndAttributes.builder()
                    .keys(keys.subList(i, Math.min(keys.size(), i + RequestLimits.BATCH_GET_KEYS))).consistentRead(true).build());
            int attempt = 0;
            while (!request.isEmpty()) {
                final Map<String, KeysAndAttributes> current = request;
                var response = dynamo.batchGetItem(b -> b.requestItems(current));
                for (Map<String, AttributeValue> item : response.responses().getOrDefault(config.jobsTable(), List.of())) {
                    sum = sum.plus(UsageAttributes.read(item));
                }
                request = response.hasUnprocessedKeys() ? response.unprocessedKeys() : Map.of();
                if (!request.isEmpty()) {
                    if (attempt >= 10) {
                        throw new IllegalStateException("DynamoDB kept keys of " + config.jobsTable() + " unprocessed");
                    }
                    // BatchGetItem may leave keys unprocessed on HTTP 200: back off with jitter, ask for those only
                    Dynamo.backOff(++attempt);
                }
            }
        }
        return sum;
    }
}
