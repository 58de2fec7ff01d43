package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.sluice.core.Json;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenAPI document ({@code docs/openapi.yaml}, as the api function serves it) as a checker of exchanges: every
 * request a REST test sends and every answer it gets are held against the document with networknt's
 * json-schema-validator (JSON Schema 2020-12, OpenAPI 3.1's dialect). An {@link ApiRouter.Exchanges} of it fails the
 * test at the first exchange that breaks the contract:
 * <ul>
 *   <li>every answer has {@code Sluice-Request-Id}; a status the operation declares; a body valid against that status'
 *       schema (an error: the envelope, with its code among the operation's {@code x-error-codes} or the codes every
 *       route may answer); a 201 has {@code Location};</li>
 *   <li>a request the document forbids (an unknown query parameter, a body its schema refuses) is never answered 2xx.</li>
 * </ul>
 */
final class OpenApiContract implements ApiRouter.Exchanges {
    static final String BASE = "https://sluice.dev/openapi.json";
    /** Codes any route may answer, besides its own: auth, the project of the path, the body's size and encoding. */
    static final Set<String> EVERY_ROUTE = Set.of("auth.missing_key", "auth.invalid_key", "project.not_found",
            "request.too_large", "request.invalid_utf8", "request.bad_base64", "route.method_not_allowed",
            "request.unknown_parameter", "internal");

    static final OpenApiContract INSTANCE = new OpenApiContract();

    final JsonNode document = OpenApiDocument.tree();
    private final JsonSchemaFactory factory;
    private final Map<String, JsonSchema> schemas = new ConcurrentHashMap<>();
    /** Operations seen answered, as "METHOD template status" (what the suite covered). */
    final Set<String> seen = ConcurrentHashMap.newKeySet();

    private OpenApiContract() {
        String json = Json.write(document);
        factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.schemaLoaders(l -> l.schemas(Map.of(BASE, json))));
    }

    /** The operation object of a method and full path template, or null when the document has none. */
    JsonNode operation(String method, String template) {
        JsonNode op = document.path("paths").path(template).path(method.toLowerCase(Locale.ROOT));
        return op.isMissingNode() ? null : op;
    }

    /** The problems of a value against the schema at a JSON pointer of the document (empty: valid). */
    List<String> problems(String pointer, JsonNode value) {
        JsonSchema schema = schemas.computeIfAbsent(pointer, p -> factory.getSchema(SchemaLocation.of(BASE + "#" + p)));
        List<String> out = new ArrayList<>();
        for (ValidationMessage m : schema.validate(value)) {
            out.add(m.getMessage());
        }
        return out;
    }

    /** Follows an OpenAPI {@code $ref} within the document: the pointer of what it names. */
    String follow(String pointer) {
        JsonNode node = document.at(pointer);
        while (node.has("$ref")) {
            pointer = node.get("$ref").asText().substring(1);
            node = document.at(pointer);
        }
        return pointer;
    }

    static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    /** The parameters of an operation (path-level and operation-level), resolved. */
    List<JsonNode> parameters(String template, String method) {
        List<JsonNode> out = new ArrayList<>();
        String path = "/paths/" + escape(template);
        for (String at : List.of(path + "/parameters", path + "/" + method.toLowerCase(Locale.ROOT) + "/parameters")) {
            JsonNode list = document.at(at);
            for (int i = 0; i < list.size(); i++) {
                out.add(document.at(follow(at + "/" + i)));
            }
        }
        return out;
    }

    /** Why the document forbids this request (empty: it allows it). */
    List<String> requestProblems(ApiRouter.Request request, String template) {
        List<String> out = new ArrayList<>();
        String method = request.method().toLowerCase(Locale.ROOT);
        Set<String> query = new HashSet<>();
        Map<String, JsonNode> schemaOf = new java.util.HashMap<>();
        for (JsonNode p : parameters(template, method)) {
            if (p.path("in").asText().equals("query")) {
                query.add(p.path("name").asText());
                schemaOf.put(p.path("name").asText(), p.path("schema"));
            }
        }
        if (request.query() != null) {
            for (Map.Entry<String, String> q : request.query().entrySet()) {
                // a parameter named "prefix*" (x-name-prefix) stands for every name that starts with the prefix
                boolean prefixed = query.stream().anyMatch(n -> n.endsWith("*")
                        && q.getKey().startsWith(n.substring(0, n.length() - 1)));
                if (prefixed) {
                    continue;
                }
                if (!query.contains(q.getKey())) {
                    out.add("query parameter " + q.getKey() + " is not in the document");
                } else if (schemaOf.get(q.getKey()).path("type").asText().equals("integer")) {
                    try {
                        long v = Long.parseLong(q.getValue());
                        JsonNode s = schemaOf.get(q.getKey());
                        if (s.has("minimum") && v < s.get("minimum").asLong() || s.has("maximum") && v > s.get("maximum").asLong()) {
                            out.add("query parameter " + q.getKey() + " is out of range");
                        }
                    } catch (NumberFormatException e) {
                        out.add("query parameter " + q.getKey() + " is not an integer");
                    }
                } else if (schemaOf.get(q.getKey()).has("enum")) {
                    boolean listed = false;
                    for (JsonNode e : schemaOf.get(q.getKey()).get("enum")) {
                        listed |= e.asText().equals(q.getValue());
                    }
                    if (!listed) {
                        out.add("query parameter " + q.getKey() + " is not one of its values");
                    }
                }
            }
        }
        String bodyPointer = "/paths/" + escape(template) + "/" + method + "/requestBody";
        JsonNode requestBody = document.at(bodyPointer);
        boolean hasBody = request.body() != null && !request.body().isBlank();
        if (!requestBody.isMissingNode() && hasBody) {
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(request.body());
            } catch (Exception e) {
                out.add("the body is not JSON");
                return out;
            }
            out.addAll(problems(follow(bodyPointer + "/content/application~1json/schema"), body));
        } else if (!requestBody.isMissingNode() && requestBody.path("required").asBoolean(false) && !hasBody) {
            out.add("the body is required");
        }
        return out;
    }

    /** Why this answer breaks the document (empty: it keeps it). */
    List<String> responseProblems(ApiRouter.Request request, String template, ApiRouter.Response response) {
        List<String> out = new ArrayList<>();
        String requestId = response.headers().get(ApiRouter.REQUEST_ID);
        if (requestId == null || !requestId.matches("req_[0-9a-f]{32}")) {
            out.add("no Sluice-Request-Id header");
        }
        JsonNode body;
        try {
            body = Json.MAPPER.readTree(response.body());
        } catch (Exception e) {
            out.add("the body is not JSON: " + response.body());
            return out;
        }
        if (response.status() >= 400) {
            out.addAll(problems("/components/schemas/Error", body));
            if (!body.path("error").path("requestId").asText().equals(requestId)) {
                out.add("error.requestId is not the header's");
            }
        }
        if (template == null) {
            // no route: the document's own path, or a 404/405 that names no operation
            return out;
        }
        JsonNode op = operation(request.method(), template);
        if (op == null) {
            out.add(request.method() + " " + template + " is not in the document");
            return out;
        }
        String status = String.valueOf(response.status());
        String responsePointer = "/paths/" + escape(template) + "/" + request.method().toLowerCase(Locale.ROOT)
                + "/responses/" + status;
        if (document.at(responsePointer).isMissingNode()) {
            out.add(request.method() + " " + template + " does not declare " + status);
            return out;
        }
        seen.add(request.method() + " " + template + " " + status);
        String resolved = follow(responsePointer);
        JsonNode declared = document.at(resolved);
        for (Iterator<String> it = declared.path("headers").fieldNames(); it.hasNext(); ) {
            String header = it.next();
            JsonNode spec = declared.path("headers").path(header);
            if (spec.has("$ref")) {
                spec = document.at(follow(spec.path("$ref").asText().substring(1)));
            }
            if (spec.path("required").asBoolean(false) && !response.headers().containsKey(header)) {
                out.add("no " + header + " header on a " + status);
            }
        }
        out.addAll(problems(follow(resolved + "/content/application~1json/schema"), body));
        if (response.status() >= 400) {
            String code = body.path("error").path("code").asText();
            Set<String> codes = new HashSet<>(EVERY_ROUTE);
            op.path("x-error-codes").forEach(c -> codes.add(c.asText()));
            if (!codes.contains(code)) {
                out.add("error code " + code + " is not in x-error-codes of " + request.method() + " " + template);
            }
        }
        return out;
    }

    @Override
    public void answered(ApiRouter.Request request, String template, ApiRouter.Response response) {
        List<String> problems = new ArrayList<>(responseProblems(request, template, response));
        if (template != null && response.status() < 300) {
            for (String p : requestProblems(request, template)) {
                problems.add("accepted a request the document forbids: " + p);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("contract broken by " + request.method() + " " + request.path() + " → "
                    + response.status() + " " + response.body() + ": " + problems);
        }
    }
}
