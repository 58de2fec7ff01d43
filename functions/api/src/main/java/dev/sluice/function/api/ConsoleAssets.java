package dev.sluice.function.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The web console: a few static files (classpath {@value #ROOT}/) served by the api function beside the API, so the
 * page and {@code /v1/…} share one origin (no CORS, the key never crosses origins) and {@code sluice local} and AWS
 * serve the same bytes with the same headers. {@code GET /} is {@code index.html}; {@code GET /console/<name>} one of
 * {@link #FILES}; nothing else is answered here (every other path goes to the API router, which 404s it).
 *
 * <p>Every answer carries a Content-Security-Policy that lets only this origin's scripts and styles run (no inline
 * script, no eval) and lets the page connect to this origin and to the data bucket's host, where presigned uploads go
 * (S3 on AWS, S3Mock on the loopback locally; {@link #csp}); with {@code textContent} everywhere in the script (never {@code innerHTML}),
 * an API string such as a job named {@code <img src=x onerror=…>} stays text (ConsoleAssetsTest, the browser test).
 */
final class ConsoleAssets {
    static final String ROOT = "console";
    /** The files under /console/ and their content types; a name not here is not the console's. */
    static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");
    /**
     * The page may connect to this origin (the API) and to the data bucket's own host only, where its uploads go
     * (presigned PUT URLs: {@code https://<bucket>.s3.<region>.amazonaws.com} on AWS, S3Mock's loopback port locally);
     * never to other buckets, hosts or ports.
     */
    static String csp(String uploadOrigin) {
        return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                + "connect-src 'self'" + (uploadOrigin == null ? "" : " " + uploadOrigin) + "; "
                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    }

    /**
     * The origin ({@code scheme://host[:port]}) of a URL the data bucket answers, e.g. a presigned upload URL.
     *
     * @throws IllegalArgumentException a URL without a scheme and host
     */
    static String originOf(String url) {
        java.net.URI u = java.net.URI.create(url);
        if (u.getScheme() == null || u.getHost() == null) {
            throw new IllegalArgumentException("not an absolute URL: " + url);
        }
        return u.getScheme().toLowerCase(java.util.Locale.ROOT) + "://" + u.getHost().toLowerCase(java.util.Locale.ROOT)
                + (u.getPort() == -1 ? "" : ":" + u.getPort());
    }

    private static final Map<String, String> CACHE = new ConcurrentHashMap<>();

    private ConsoleAssets() {
    }

    /**
     * The console's answer to a request, or empty when the path is not the console's ({@code /} or
     * {@code /console/<file>}). Another method than GET on a console path is 405 with {@code Allow: GET}.
     *
     * @param uploadOrigin the data bucket's origin ({@link #originOf}), the only one besides this origin the page may
     *                     connect to; null: this origin only
     */
    static Optional<ApiRouter.Response> answer(String method, String path, String uploadOrigin) {
        String file;
        if ("/".equals(path) || "".equals(path) || "/console".equals(path) || "/console/".equals(path)) {
            file = "index.html";
        } else if (path != null && path.startsWith("/console/") && FILES.containsKey(path.substring(9))) {
            file = path.substring(9);
        } else {
            return Optional.empty();
        }
        if (!"GET".equalsIgnoreCase(method)) {
            return Optional.of(new ApiRouter.Response(405,
                    "{\"error\":{\"code\":\"route.method_not_allowed\",\"message\":\"use GET\"}}",
                    Map.of("Allow", "GET", "Content-Type", "application/json")));
        }
        return Optional.of(new ApiRouter.Response(200, CACHE.computeIfAbsent(file, ConsoleAssets::read), Map.of(
                "Content-Type", FILES.get(file),
                "Content-Security-Policy", csp(uploadOrigin),
                "X-Content-Type-Options", "nosniff",
                "Referrer-Policy", "no-referrer",
                "X-Frame-Options", "DENY",
                // a new deployment's files are seen on the next load; they are small
                "Cache-Control", "no-cache")));
    }

    private static String read(String file) {
        try (InputStream in = ConsoleAssets.class.getClassLoader().getResourceAsStream(ROOT + "/" + file)) {
            if (in == null) {
                throw new IllegalStateException(ROOT + "/" + file + " is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + ROOT + "/" + file, e);
        }
    }
}
