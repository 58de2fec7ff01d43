package dev.sluice.aws;

import dev.sluice.core.usage.Usage;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

import java.util.List;
import java.util.Map;

/**
 * How a job's or execution's item, and a project's daily usage item, keep a {@link Usage}: one number attribute per
 * field, named {@code usage_<field>}, added to with DynamoDB's atomic {@code ADD} (concurrent writers never lose each
 * other's counts: no read-modify-write).
 */
final class UsageAttributes {
    private UsageAttributes() {
    }

    /** The attribute holding a field of {@link Usage#FIELDS}. */
    static String attribute(String field) {
        return "usage_" + field;
    }

    /**
     * Appends {@code #uN :uN} to an update's ADD clauses for each field of the usage that is not zero, with its
     * name and value placeholders.
     */
    static void add(Usage use, List<String> adds, Map<String, String> names, Map<String, AttributeValue> values) {
        long[] v = use.values();
        for (int i = 0; i < v.length; i++) {
            if (v[i] != 0) {
                names.put("#u" + i, attribute(Usage.FIELDS.get(i)));
                values.put(":u" + i, Dynamo.n(v[i]));
                adds.add("#u" + i + " :u" + i);
            }
        }
    }

    /** The usage an item holds (zero for fields it has not). */
    static Usage read(Map<String, AttributeValue> item) {
        long[] v = new long[Usage.FIELDS.size()];
        for (int i = 0; i < v.length; i++) {
            AttributeValue a = item.get(attribute(Usage.FIELDS.get(i)));
            v[i] = a == null || a.n() == null ? 0 : Long.parseLong(a.n());
        }
        return Usage.of(v);
    }
}
