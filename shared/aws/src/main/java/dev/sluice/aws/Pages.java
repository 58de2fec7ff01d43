package dev.sluice.aws;

import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Newest-first pages over a partition whose sort key is a time-sortable id. A cursor is an anchor id and a
 * direction, so pages stay correct while new items are created.
 */
final class Pages {
    private Pages() {
    }

    /**
     * @param partitionCondition e.g. {@code projectId = :p}
     * @param sortKey            name of the id sort key
     * @param idPrefix           only ids with this prefix (ids of one type)
     */
    static <T> Page<T> query(DynamoDbClient dynamo, String table, String index, String partitionCondition,
                             Map<String, AttributeValue> values, String sortKey, String idPrefix, PageRequest page,
                             Function<Map<String, AttributeValue>, T> mapper) {
        return query(dynamo, table, index, partitionCondition, values, sortKey, idPrefix, page, mapper, t -> true, "");
    }

    /**
     * The same, listing only the records {@code keep} accepts. The filter is applied as rows are read (DynamoDB pages
     * of {@code limit + 2} rows), so memory holds one page whatever the filter; a sparse filter reads more rows.
     *
     * @param filterKey what binds the cursors to the filter ({@code ListFilter.key()}); empty for no filter
     */
    static <T> Page<T> query(DynamoDbClient dynamo, String table, String index, String partitionCondition,
                             Map<String, AttributeValue> values, String sortKey, String idPrefix, PageRequest page,
                             Function<Map<String, AttributeValue>, T> mapper, Predicate<T> keep, String filterKey) {
        Map<String, AttributeValue> v = new HashMap<>(values);
        // a cursor names its listing: the kind, the partition (the project) and the filter, so it continues no other
        String listing = idPrefix + new java.util.TreeMap<>(values).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue().s()).collect(java.util.stream.Collectors.joining(","))
                + filterKey;
        String anchor = page.anchorIn(listing, idPrefix);
        String condition;
        if (anchor == null) {
            condition = partitionCondition + " AND begins_with(#sk, :prefix)";
            v.put(":prefix", AttributeValue.fromS(idPrefix));
        } else {
            // ids of one type share the prefix, and "~" sorts after every id character
            condition = partitionCondition + (page.forward() ? " AND #sk BETWEEN :prefix AND :anchor"
                    : " AND #sk BETWEEN :anchor AND :end");
            v.put(":prefix", AttributeValue.fromS(idPrefix));
            v.put(":end", AttributeValue.fromS(idPrefix + "~"));
            v.put(":anchor", AttributeValue.fromS(anchor));
        }
        for (String placeholder : List.of(":prefix", ":end")) {
            if (!condition.contains(placeholder)) {
                v.remove(placeholder);
            }
        }
        List<Map.Entry<String, T>> rows = new ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName(table).indexName(index).keyConditionExpression(condition)
                .expressionAttributeNames(Map.of("#sk", sortKey)).expressionAttributeValues(v)
                .scanIndexForward(!page.forward()).limit(page.limit() + 2), row -> {
            String sk = row.get(sortKey).s();
            if (!sk.equals(anchor)) {
                T record = mapper.apply(row);
                if (keep.test(record)) {
                    rows.add(Map.entry(sk, record));
                }
            }
            return rows.size() <= page.limit(); // one row past the page tells whether there are more
        });
        boolean more = rows.size() > page.limit();
        List<Map.Entry<String, T>> pageRows = new ArrayList<>(rows.subList(0, Math.min(page.limit(), rows.size())));
        if (!page.forward()) {
            Collections.reverse(pageRows);
        }
        List<T> data = pageRows.stream().map(Map.Entry::getValue).toList();
        String first = pageRows.isEmpty() ? null : pageRows.get(0).getKey();
        String last = pageRows.isEmpty() ? null : pageRows.get(pageRows.size() - 1).getKey();
        String next;
        String prev;
        if (page.forward()) {
            next = more ? PageRequest.nextCursor(listing, last) : null;
            prev = anchor != null ? PageRequest.prevCursor(listing, first) : null;
        } else {
            next = PageRequest.nextCursor(listing, last);
            prev = more ? PageRequest.prevCursor(listing, first) : null;
        }
        return new Page<>(data, next, prev);
    }
}
