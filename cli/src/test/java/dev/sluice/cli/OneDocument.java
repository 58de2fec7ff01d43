package dev.sluice.cli;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** What `--output json` must print: exactly one JSON document (nothing before it, nothing after it). */
final class OneDocument {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OneDocument() {
    }

    static JsonNode parse(String text) {
        try (JsonParser parser = JSON.getFactory().createParser(text)) {
            JsonNode node = JSON.readTree(parser);
            assertNotNull(node, "no JSON document in: " + text);
            assertNull(parser.nextToken(), "more than one JSON document in: " + text);
            return node;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}
