package dev.sluice.core;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The S3 buckets the operator lets users reach with the functions' own role: {@code s3://} items
 * ({@code SLUICE_ITEM_BUCKETS}) or execution folders ({@code SLUICE_EXECUTION_BUCKETS}); CDK and SAM set both from the
 * same names they grant IAM access to. The service's data bucket (every project's datasets, models and results) is
 * never one of them, even when listed: reaching it through an item or an execution would cross tenants (issue 14).
 * The check is made before any S3 request, so a refused bucket answers the same whether an object exists or not.
 *
 * @param names      the allowed bucket names (exact, no wildcards)
 * @param dataBucket the service's own bucket, refused always
 */
public record AllowedBuckets(Set<String> names, String dataBucket) {
    public AllowedBuckets {
        names = Set.copyOf(names);
    }

    /** Nothing allowed. */
    public static AllowedBuckets none(String dataBucket) {
        return new AllowedBuckets(Set.of(), dataBucket);
    }

    /** Comma-separated names as an environment variable holds them (blanks and spaces ignored; null: none). */
    public static List<String> parse(String commaSeparated) {
        if (commaSeparated == null) {
            return List.of();
        }
        return List.copyOf(new LinkedHashSet<>(Arrays.stream(commaSeparated.split(",")).map(String::trim)
                .filter(s -> !s.isEmpty()).toList()));
    }

    public boolean allows(String bucket) {
        return bucket != null && names.contains(bucket) && !bucket.equals(dataBucket);
    }
}
