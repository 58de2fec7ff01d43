package dev.sluice.testing;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sluice.local.Samples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** The sample Lambda events of events/, read into the aws-lambda-java-events classes as the Lambda runtime does. */
public final class Events {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .configure(MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES, true)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).build();

    private Events() {
    }

    public static <T> T load(String name, Class<T> type) {
        Path file = Samples.root().resolveSibling("events").resolve(name);
        try {
            return MAPPER.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }
}
