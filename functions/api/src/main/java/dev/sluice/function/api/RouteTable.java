package dev.sluice.function.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP method + path template → handler. A template is literal text with parameters in braces, e.g.
 * {@code /v1/projects/{projectId}/batch/jobs/{jobId}:cancel}; a parameter matches 1..128 characters of
 * {@code [A-Za-z0-9_-]} (an id of any kind, never a '/', ':' or '.'), and a path may end with one '/' more. A path
 * that no template matches is {@link NotFound}; a path some template matches, with a method that template does not
 * take, is {@link WrongMethod} with the methods it takes (an HTTP 405's {@code Allow}, RFC 9110 §15.5.6).
 *
 * @param <H> the handler type
 */
final class RouteTable<H> {
    static final String PARAMETER = "[A-Za-z0-9_-]{1,128}";
    private static final Pattern BRACES = Pattern.compile("\\{([A-Za-z][A-Za-z0-9]*)}");

    /**
     * One line of the table: a method, a template, the query parameters it takes (any other is refused), its handler,
     * and whether it creates a resource (a POST that takes an {@code Idempotency-Key}).
     */
    record Route<H>(String method, String template, java.util.Set<String> query, H handler, boolean creates) {
    }

    /** What a request resolves to, with the path parameters its template names, by name (none if not found). */
    sealed interface Resolution<H> {
        Map<String, String> parameters();
    }

    /** The route of the method and path. */
    record Found<H>(Route<H> route, Map<String, String> parameters) implements Resolution<H> {
    }

    record NotFound<H>() implements Resolution<H> {
        @Override
        public Map<String, String> parameters() {
            return Map.of();
        }
    }

    /**
     * The path is known, the method is not one it takes: {@code allow} lists those it takes, in table order;
     * {@code template} is the path's template.
     */
    record WrongMethod<H>(List<String> allow, String template, Map<String, String> parameters) implements Resolution<H> {
        /** The value of an {@code Allow} header: "GET, POST". */
        String header() {
            return String.join(", ", allow);
        }
    }

    private record Template<H>(String text, Pattern pattern, List<String> names, Map<String, Route<H>> byMethod) {
    }

    private final String prefix;
    private final Map<String, Template<H>> templates = new LinkedHashMap<>();
    private final List<Route<H>> routes = new ArrayList<>();

    /** A table whose templates all start with {@code prefix} (itself a template, e.g. with a project parameter). */
    RouteTable(String prefix) {
        this.prefix = prefix;
    }

    RouteTable<H> get(String template, H handler) {
        return add("GET", template, java.util.Set.of(), handler);
    }

    /** A GET that takes the query parameters named. */
    RouteTable<H> get(String template, java.util.Set<String> query, H handler) {
        return add("GET", template, query, handler);
    }

    RouteTable<H> post(String template, H handler) {
        return add("POST", template, java.util.Set.of(), handler);
    }

    /** A POST that creates a resource: it takes an {@code Idempotency-Key} header. */
    RouteTable<H> create(String template, H handler) {
        return add("POST", template, java.util.Set.of(), handler, true);
    }

    /** A POST that creates a resource and takes the query parameters named (and an {@code Idempotency-Key}). */
    RouteTable<H> create(String template, java.util.Set<String> query, H handler) {
        return add("POST", template, query, handler, true);
    }

    RouteTable<H> put(String template, H handler) {
        return add("PUT", template, java.util.Set.of(), handler);
    }

    RouteTable<H> delete(String template, H handler) {
        return add("DELETE", template, java.util.Set.of(), handler);
    }

    /** Adds a route under the prefix; the same method and template twice is a mistake in the table (refused). */
    RouteTable<H> add(String method, String template, java.util.Set<String> query, H handler) {
        return add(method, template, query, handler, false);
    }

    private RouteTable<H> add(String method, String template, java.util.Set<String> query, H handler, boolean creates) {
        String full = prefix + template;
        Template<H> t = templates.computeIfAbsent(full, RouteTable::compile);
        Route<H> route = new Route<>(method, full, java.util.Set.copyOf(query), handler, creates);
        if (t.byMethod().putIfAbsent(method, route) != null) {
            throw new IllegalArgumentException("two routes for " + method + " " + full);
        }
        routes.add(route);
        return this;
    }

    /** Every route, in table order. */
    List<Route<H>> routes() {
        return List.copyOf(routes);
    }

    /**
     * The route of a request. The method is compared upper-case. Templates must not overlap: a path that two
     * templates match is a mistake in the table ({@link IllegalStateException}).
     */
    Resolution<H> resolve(String method, String path) {
        Template<H> found = null;
        Matcher matched = null;
        for (Template<H> t : templates.values()) {
            Matcher m = t.pattern().matcher(path == null ? "" : path);
            if (m.matches()) {
                if (found != null) {
                    throw new IllegalStateException(path + " matches both " + found.text() + " and " + t.text());
                }
                found = t;
                matched = m;
            }
        }
        if (found == null) {
            return new NotFound<>();
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        for (String name : found.names()) {
            parameters.put(name, matched.group(name));
        }
        Route<H> route = found.byMethod().get(method == null ? "" : method.toUpperCase(Locale.ROOT));
        if (route == null) {
            return new WrongMethod<>(List.copyOf(found.byMethod().keySet()), found.text(), Map.copyOf(parameters));
        }
        return new Found<>(route, Map.copyOf(parameters));
    }

    private static <H> Template<H> compile(String template) {
        StringBuilder regex = new StringBuilder();
        List<String> names = new ArrayList<>();
        Matcher m = BRACES.matcher(template);
        int at = 0;
        while (m.find()) {
            regex.append(Pattern.quote(template.substring(at, m.start())));
            if (names.contains(m.group(1))) {
                throw new IllegalArgumentException("parameter {" + m.group(1) + "} twice in " + template);
            }
            names.add(m.group(1));
            regex.append("(?<").append(m.group(1)).append('>').append(PARAMETER).append(')');
            at = m.end();
        }
        if (BRACES.matcher(template).replaceAll("").matches(".*[{}].*")) {
            throw new IllegalArgumentException("a malformed parameter in " + template);
        }
        regex.append(Pattern.quote(template.substring(at))).append("/?");
        return new Template<>(template, Pattern.compile(regex.toString()), List.copyOf(names), new LinkedHashMap<>());
    }
}
