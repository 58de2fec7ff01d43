package dev.sluice.function.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web console's files as the api function serves them: which paths, which headers, and the rules of the script
 * that keep API strings out of HTML and the key out of URLs. The browser test (console-test/) drives the same files
 * in Chromium.
 */
class ConsoleAssetsTest {

    static String resource(String name) throws IOException {
        try (InputStream in = ConsoleAssetsTest.class.getClassLoader().getResourceAsStream("console/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void root_isThePage_withAPolicyThatRunsOnlyThisOriginsScripts() {
        ApiRouter.Response page = ConsoleAssets.answer("GET", "/", BUCKET).orElseThrow();
        assertEquals(200, page.status());
        assertEquals("text/html; charset=utf-8", page.headers().get("Content-Type"));
        assertTrue(page.body().contains("<script src=\"/console/console.js\""), page.body());
        String csp = page.headers().get("Content-Security-Policy");
        assertTrue(csp.contains("default-src 'none'") && csp.contains("script-src 'self';")
                && csp.contains("frame-ancestors 'none'"), csp);
        assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
        assertEquals("nosniff", page.headers().get("X-Content-Type-Options"));
        assertEquals("no-referrer", page.headers().get("Referrer-Policy"));
    }

    static final String BUCKET = "https://sluice-data-123456789012.s3.eu-west-1.amazonaws.com";

    @Test
    void connectSrc_namesThisOriginAndTheDataBucketsHostOnly() {
        String csp = ConsoleAssets.answer("GET", "/", BUCKET).orElseThrow().headers().get("Content-Security-Policy");
        assertTrue(csp.contains("connect-src 'self' " + BUCKET + ";"), csp);
        assertFalse(csp.contains("*") || csp.contains("127.0.0.1") || csp.contains("localhost"), csp);
        assertTrue(ConsoleAssets.csp(null).contains("connect-src 'self';"), "no bucket known: this origin only");
        // the origin of the URLs the presigner signs: virtual-hosted on AWS, S3Mock's loopback port locally
        assertEquals(BUCKET, ConsoleAssets.originOf(BUCKET + "/datasets/p/d?X-Amz-Signature=abc"));
        assertEquals("http://127.0.0.1:9090", ConsoleAssets.originOf("http://127.0.0.1:9090/bucket/k?X-Amz-Date=1"));
    }

    @Test
    void consoleFiles_areServedWithTheirTypes_andNothingElseUnderConsoleIsTheirs() {
        assertEquals("text/javascript; charset=utf-8",
                ConsoleAssets.answer("GET", "/console/console.js", BUCKET).orElseThrow().headers().get("Content-Type"));
        assertEquals("text/css; charset=utf-8",
                ConsoleAssets.answer("GET", "/console/console.css", BUCKET).orElseThrow().headers().get("Content-Type"));
        for (String other : List.of("/console/../openapi.yaml", "/console/nope.js", "/v1/projects/p/batch/jobs",
                "/console/console.js/", "/index.html", "/console/%2e%2e/application.properties")) {
            assertTrue(ConsoleAssets.answer("GET", other, BUCKET).isEmpty(), other + " goes to the API router (404 there)");
        }
    }

    @Test
    void anotherMethodThanGet_is405() {
        ApiRouter.Response post = ConsoleAssets.answer("POST", "/", BUCKET).orElseThrow();
        assertEquals(405, post.status());
        assertEquals("GET", post.headers().get("Allow"));
    }

    /** No API string can become markup: the script has no HTML sink and nothing runs inline in the page. */
    @Test
    void script_hasNoHtmlSinks_andThePageNoInlineScriptOrStyle() throws IOException {
        String code = Pattern.compile("^\\s*//.*$", Pattern.MULTILINE).matcher(resource("console.js")).replaceAll("");
        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                "new Function", "localStorage", "console.log")) {
            assertFalse(code.contains(sink), "console.js uses " + sink);
        }
        assertTrue(code.contains("sessionStorage"), "the key is kept in the tab's session storage");
        String html = resource("index.html");
        assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)").matcher(html).find(), "an inline script");
        assertFalse(Pattern.compile("\\son[a-z]+=|\\sstyle=").matcher(html).find(), "an inline handler or style");
    }

    /** The key is sent in the Authorization header only: no route, link or request URL the script builds names it. */
    @Test
    void script_putsTheKeyOnlyInTheAuthorizationHeader() throws IOException {
        String code = resource("console.js");
        var uses = Pattern.compile("\\bs\\.key\\b").matcher(code).results().map(m -> {
            int line = code.lastIndexOf('\n', m.start());
            return code.substring(line + 1, code.indexOf('\n', m.start())).trim();
        }).toList();
        // the session's key is s.key; every line that reads it sends it in the header, tests it is there, or compares
        // it with the stored one (a 401 for the stored key signs the tab out)
        assertEquals(3, uses.size(), uses.toString());
        assertTrue(uses.stream().allMatch(l -> l.contains("\"Authorization\": \"Bearer \" + s.key")
                || l.contains("!!(s && s.key && s.project)")
                || l.contains("stored.key === s.key")), uses.toString());
    }
}
