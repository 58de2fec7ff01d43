package dev.sluice.function.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.sluice.core.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The API's OpenAPI 3.1 document ({@code docs/openapi.yaml}, put on the classpath as {@value #RESOURCE} by the build)
 * as JSON, read once on first use: what {@code GET /v1/openapi.json} answers.
 */
final class OpenApiDocument {
    static final String RESOURCE = "openapi.yaml";
    private static volatile String json;

    private OpenApiDocument() {
    }

    /** The document as a tree (the YAML read as JSON values). */
    static JsonNode tree() {
        try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is not on the classpath (the build copies docs/openapi.yaml)");
            }
            return new YAMLMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    /** The document as JSON text. */
    static String json() {
        String j = json;
        if (j == null) {
            j = Json.write(tree());
            json = j;
        }
        return j;
    }
}
