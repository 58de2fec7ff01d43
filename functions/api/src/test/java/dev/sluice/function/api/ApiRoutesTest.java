package dev.sluice.function.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The api function's route table against README's route list (section "API (v1)", a row per path with the methods
 * it takes; OpenApiContractTest holds both against docs/openapi.yaml). Every documented route
 * resolves to a handler with its path parameters, every route of the table is documented, a documented path with
 * another method is a 405 naming exactly the documented methods, and paths off the list are 404. No emulator: the
 * table is built without services and none of its handlers runs.
 */
class ApiRoutesTest {
    static final List<String> METHODS = List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
    static final Pattern ROW = Pattern.compile("^\\| `(/[^`]*)` \\| ([A-Z]+(?:, [A-Z]+)*) \\|$");
    static final Pattern PARAMETER = Pattern.compile("\\{([A-Za-z0-9]+)}");
    static final RouteTable<ApiRouter.Handler> TABLE = ApiRouter.routes(null, null);

    /** README's routes: path template under the prefix → its methods, in the order written. */
    static Map<String, List<String>> documented() throws IOException {
        Path root = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(root.resolve("README.md")) || !Files.isDirectory(root.resolve("functions/api"))) {
            root = root.getParent();
        }
        String readme = Files.readString(root.resolve("README.md"));
        int from = readme.indexOf("\n## API (v1)");
        int to = readme.indexOf("\n## ", from + 1);
        assertTrue(from >= 0 && to > from, "README has an API (v1) section");
        Map<String, List<String>> routes = new LinkedHashMap<>();
        for (String line : readme.substring(from, to).split("\n")) {
            Matcher m = ROW.matcher(line.strip());
            if (m.matches()) {
                List<String> before = routes.put(ApiRouter.PREFIX + m.group(1), List.of(m.group(2).split(", ")));
                assertEquals(null, before, "a path listed twice: " + m.group(1));
            }
        }
        return routes;
    }

    /** A concrete path of a template: each parameter replaced by a value of its own ("p_projectId_1"). */
    static String sample(String template, Map<String, String> values) {
        Matcher m = PARAMETER.matcher(template);
        StringBuilder path = new StringBuilder();
        while (m.find()) {
            String value = "p_" + m.group(1) + "_1";
            values.put(m.group(1), value);
            m.appendReplacement(path, value);
        }
        m.appendTail(path);
        return path.toString();
    }

    @Test
    void theTableAndReadmesRouteList_areTheSameRoutes() throws IOException {
        Set<String> inReadme = new LinkedHashSet<>();
        documented().forEach((path, methods) -> methods.forEach(method -> inReadme.add(method + " " + path)));
        Set<String> inTable = new LinkedHashSet<>();
        for (RouteTable.Route<ApiRouter.Handler> route : TABLE.routes()) {
            inTable.add(route.method() + " " + route.template());
        }
        Set<String> undocumented = new LinkedHashSet<>(inTable);
        undocumented.removeAll(inReadme);
        Set<String> missing = new LinkedHashSet<>(inReadme);
        missing.removeAll(inTable);
        assertEquals(Set.of(), undocumented, "routes of the table that README does not list");
        assertEquals(Set.of(), missing, "routes README lists that the table does not have");
        assertEquals(48, inTable.size(), "ApiContractTest's 27 resource routes and 16 collection routes, GET /usage, and the 4"
                + " secrets routes (TenantIsolationTest tries them across projects)");
    }

    @Test
    void everyDocumentedRoute_resolvesToItsHandler_withItsPathParameters_withOrWithoutATrailingSlash() throws IOException {
        int resolved = 0;
        for (Map.Entry<String, List<String>> e : documented().entrySet()) {
            Map<String, String> values = new LinkedHashMap<>();
            String path = sample(e.getKey(), values);
            for (String method : e.getValue()) {
                for (String p : List.of(path, path + "/")) {
                    for (String spelled : List.of(method, method.toLowerCase(java.util.Locale.ROOT))) {
                        RouteTable.Resolution<ApiRouter.Handler> r = TABLE.resolve(spelled, p);
                        RouteTable.Found<ApiRouter.Handler> found = assertInstanceOf(RouteTable.Found.class, r, spelled + " " + p);
                        assertEquals(method, found.route().method());
                        assertEquals(e.getKey(), found.route().template());
                        assertNotNull(found.route().handler(), e.getKey());
                        assertEquals(values, found.parameters(), p);
                        resolved++;
                    }
                }
            }
            // the project and at most one id; a webhook's delivery is named by the webhook and its request id
            assertTrue(values.size() == 1 || values.size() == 2 || values.keySet().equals(java.util.Set.of("projectId",
                    "webhookId", "requestId")), "a route names the project and at most one id: " + e.getKey());
            if (values.size() == 2) {
                String id = values.entrySet().stream().filter(v -> !v.getKey().equals("projectId")).findFirst().orElseThrow().getValue();
                assertEquals(id, new ApiRouter.Call(null, null, values).id(), "the id a handler reads: " + e.getKey());
            }
        }
        assertEquals(48 * 4, resolved);
    }

    @Test
    void aDocumentedPath_withAnotherMethod_isWrongMethod_namingExactlyTheDocumentedMethods() throws IOException {
        int checked = 0;
        for (Map.Entry<String, List<String>> e : documented().entrySet()) {
            String path = sample(e.getKey(), new LinkedHashMap<>());
            for (String method : METHODS) {
                if (e.getValue().contains(method)) {
                    continue;
                }
                RouteTable.WrongMethod<ApiRouter.Handler> wrong = assertInstanceOf(RouteTable.WrongMethod.class,
                        TABLE.resolve(method, path), method + " " + path);
                assertEquals(e.getValue(), wrong.allow(), method + " " + path);
                assertEquals(String.join(", ", e.getValue()), wrong.header());
                assertEquals("p_projectId_1", wrong.parameters().get("projectId"), "the project is known to check the key");
                checked++;
            }
        }
        assertTrue(checked > 100, "checked " + checked);
    }

    @Test
    void pathsOffTheList_areNotFound() {
        String base = "/v1/projects/proj_1";
        List<String> unknown = new ArrayList<>(List.of("", "/", "/v1", "/v1/projects", "/v1/projects/proj_1",
                base + "/nothing-here", base + "/models/model_1/results", base + "/models/model_1:cancel",
                base + "/batch/jobs/batchjob_1:bogus", base + "/batch/jobs/batchjob_1/logs/more",
                base + "/batch/jobs/batchjob_1//logs", base + "/batch/jobs//", base + "/batch//jobs",
                base + "/Batch/Jobs", "/v2/projects/proj_1/batch/jobs", base + "/batch/jobs/a.b",
                base + "/batch/jobs/" + "a".repeat(129), "/v1/projects/" + "p".repeat(129) + "/models",
                base + "/batch/jobs/batchjob_1?x=1", base + "/batch/jobs/job%2F1", base + "/models/model_1/"  + "/"));
        for (String path : unknown) {
            for (String method : METHODS) {
                assertInstanceOf(RouteTable.NotFound.class, TABLE.resolve(method, path), method + " " + path);
            }
        }
        assertInstanceOf(RouteTable.NotFound.class, TABLE.resolve("GET", null));
        // the longest id a parameter takes, and every character it takes
        assertInstanceOf(RouteTable.Found.class, TABLE.resolve("GET", base + "/batch/jobs/" + "a".repeat(128)));
        assertInstanceOf(RouteTable.Found.class, TABLE.resolve("GET", base + "/batch/jobs/AZaz09_-"));
    }

    @Test
    void theTableRefuses_twoRoutesForOneMethodAndPath_andMalformedTemplates() {
        RouteTable<String> table = new RouteTable<String>("/v1/{projectId}").get("/a/{aId}", "one");
        assertThrows(IllegalArgumentException.class, () -> table.get("/a/{aId}", "two"));
        assertThrows(IllegalArgumentException.class, () -> table.get("/b/{projectId}", "x"), "a parameter twice");
        assertThrows(IllegalArgumentException.class, () -> table.get("/c/{cId", "x"));
        assertThrows(IllegalArgumentException.class, () -> table.get("/c/{c_id}", "x"));
        // overlapping templates are a mistake the first request on both shows (not a silent first match)
        RouteTable<String> overlapping = new RouteTable<String>("").get("/x/{a}", "1").get("/{b}/y", "2");
        assertThrows(IllegalStateException.class, () -> overlapping.resolve("GET", "/x/y"));
        assertEquals("1", ((RouteTable.Found<String>) overlapping.resolve("GET", "/x/z")).route().handler());
    }
}
