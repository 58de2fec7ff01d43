package dev.sluice.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;

import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The strict reader of API request bodies: what the OpenAPI document ({@code docs/openapi.yaml}) forbids, it refuses
 * with a 400 and a code, never by guessing. {@link Json#MAPPER} stays lenient for the records Sluice stores itself.
 *
 * <ul>
 *   <li>a field the type does not have: {@code request.unknown_field}, naming its JSON path ({@code spec.batchsize})
 *       and the nearest known field ("did you mean batchSize?") when one is within two edits or differs in case;</li>
 *   <li>a value of another JSON type: {@code request.wrong_type} ("spec.batchSize must be an integer"): no string to
 *       number, number to string, float to integer or number to boolean coercion, no number for an enum;</li>
 *   <li>an explicit {@code null}: {@code request.wrong_type} (leave the field out instead; the document has no
 *       nullable field);</li>
 *   <li>text that is not one JSON value, or a key twice: {@code request.malformed_json}.</li>
 * </ul>
 * Messages name JSON paths and JSON types, never a Java type.
 */
public final class RequestJson {
    private static final ObjectMapper STRICT = create();

    private RequestJson() {
    }

    private static ObjectMapper create() {
        ObjectMapper mapper = JsonMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .build();
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(64).maxStringLength(1_000_000).build());
        for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean)) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        for (LogicalType type : List.of(LogicalType.Integer, LogicalType.Float, LogicalType.Boolean)) {
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
            mapper.coercionConfigFor(type).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        }
        mapper.coercionConfigFor(LogicalType.Boolean).setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.Integer).setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
        mapper.coercionConfigFor(LogicalType.POJO).setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail);
        return mapper;
    }

    /**
     * The body as the type, or a 400 {@link SluiceException} with one of the codes above.
     *
     * @param json the request body (not null)
     * @param type a record of the request's shape
     */
    public static <T> T read(String json, Class<T> type) {
        JsonNode tree;
        try {
            tree = STRICT.readTree(json);
        } catch (com.fasterxml.jackson.core.exc.StreamConstraintsException e) {
            // Jackson's own words name its Java settings
            throw SluiceException.invalid("request.malformed_json",
                    "the body nests more than 64 levels deep or has a string over 1,000,000 characters");
        } catch (com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            // FAIL_ON_TRAILING_TOKENS: Jackson's message names its Java types
            throw SluiceException.invalid("request.malformed_json", "the body holds more than one JSON value");
        } catch (JsonProcessingException e) {
            throw SluiceException.invalid("request.malformed_json", "the body is not valid JSON: " + e.getOriginalMessage());
        }
        if (tree == null || tree.isMissingNode()) {
            throw SluiceException.invalid("request.body_required", "send a JSON body");
        }
        String nullAt = firstNull(tree, "");
        if (nullAt != null) {
            throw SluiceException.invalid("request.wrong_type", (nullAt.isEmpty() ? "the body" : nullAt)
                    + " is null; leave the field out instead");
        }
        try {
            return STRICT.treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            String path = path(e);
            String hint = nearest(e.getPropertyName(), e.getKnownPropertyIds());
            throw SluiceException.invalid("request.unknown_field", "unknown field " + path
                    + (hint == null ? "" : " (did you mean " + hint + "?)")
                    + "; this object takes " + known(e.getKnownPropertyIds()));
        } catch (com.fasterxml.jackson.databind.exc.InvalidTypeIdException e) {
            // a sealed type told apart by a property (Destination's "kind"): name the choices, never a Java type
            throw SluiceException.invalid("request.wrong_type", where(path(e)) + " needs "
                    + kinds(e.getBaseType().getRawClass()));
        } catch (InvalidFormatException e) {
            throw SluiceException.invalid("request.wrong_type", where(path(e)) + " must be " + expected(e.getTargetType()));
        } catch (MismatchedInputException e) {
            throw SluiceException.invalid("request.wrong_type", where(path(e)) + " must be " + expected(e.getTargetType()));
        } catch (JsonMappingException e) {
            throw SluiceException.invalid("request.wrong_type", where(path(e)) + " has a value of the wrong type");
        } catch (JsonProcessingException e) {
            throw SluiceException.invalid("request.malformed_json", "the body is not valid JSON");
        }
    }

    /** The JSON path of the first explicit null ("spec.retries.maxRetries", "labels[2]"), or null when there is none. */
    private static String firstNull(JsonNode node, String at) {
        if (node.isNull()) {
            return at;
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String found = firstNull(e.getValue(), at.isEmpty() ? e.getKey() : at + "." + e.getKey());
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = firstNull(node.get(i), at + "[" + i + "]");
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static String where(String path) {
        return path.isEmpty() ? "the body" : path;
    }

    /** "spec.resultDelivery.destinations[0].webhookId" from Jackson's reference chain. */
    static String path(JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                path.append('[').append(r.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    /** The JSON type a Java type is read from, in the words of JSON Schema. */
    private static String expected(Class<?> type) {
        if (type == null) {
            return "of another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type.isEnum()) {
            StringBuilder names = new StringBuilder();
            for (Object c : type.getEnumConstants()) {
                names.append(names.isEmpty() ? "" : ", ").append('"').append(c).append('"');
            }
            return "one of " + names;
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        return "an object";
    }

    /** "kind one of "Webhook", "S3", "EventBridge"" from a type's {@code @JsonSubTypes} and {@code @JsonTypeInfo}. */
    private static String kinds(Class<?> base) {
        com.fasterxml.jackson.annotation.JsonTypeInfo info =
                base.getAnnotation(com.fasterxml.jackson.annotation.JsonTypeInfo.class);
        com.fasterxml.jackson.annotation.JsonSubTypes subtypes =
                base.getAnnotation(com.fasterxml.jackson.annotation.JsonSubTypes.class);
        if (info == null || subtypes == null) {
            return "another type";
        }
        StringBuilder names = new StringBuilder();
        for (com.fasterxml.jackson.annotation.JsonSubTypes.Type t : subtypes.value()) {
            names.append(names.isEmpty() ? "" : ", ").append('"').append(t.name()).append('"');
        }
        return info.property() + " one of " + names;
    }

    private static String known(Collection<Object> ids) {
        return ids == null || ids.isEmpty() ? "no fields"
                : String.join(", ", ids.stream().map(String::valueOf).sorted().toList());
    }

    /**
     * The known name nearest to a misspelt one ("did you mean"): equal ignoring case, the start of a known name (4
     * characters at least: {@code maxBackof}), or at most two edits away (one for names under 4 characters); else null.
     */
    public static String nearest(String given, Collection<?> known) {
        if (given == null || known == null) {
            return null;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (Object k : known) {
            String name = String.valueOf(k);
            int d = name.equalsIgnoreCase(given) ? 0
                    : given.length() >= 4 && name.toLowerCase(Locale.ROOT).startsWith(given.toLowerCase(Locale.ROOT)) ? 1
                    : distance(given.toLowerCase(Locale.ROOT), name.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = name;
            }
        }
        return bestDistance <= (given.length() < 4 ? 1 : 2) ? best : null;
    }

    /** Levenshtein distance (insertions, deletions, substitutions), over at most the first 64 characters of each. */
    private static int distance(String a, String b) {
        a = a.length() > 64 ? a.substring(0, 64) : a;
        b = b.length() > 64 ? b.substring(0, 64) : b;
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                current[j] = Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
