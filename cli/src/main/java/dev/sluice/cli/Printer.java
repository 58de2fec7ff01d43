package dev.sluice.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What a command prints on stdout, in the chosen {@link Format}: exactly one document per command with json and yaml
 * (a list page is the API's page object; a stream of entries, such as logs or a report, is one array written entry by
 * entry, so memory does not grow with it), a table otherwise. Tables show times (numeric fields named {@code …Time}
 * or {@code time}, epoch milliseconds in the API) as ISO-8601 UTC instants.
 */
final class Printer {
    /** The values of {@code --output}. */
    enum Format { table, json, yaml }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

    private final Format format;
    private final PrintWriter out;

    Printer(Format format, PrintWriter out) {
        this.format = format;
        this.out = out;
    }

    boolean isTable() {
        return format == Format.table;
    }

    /** One API object or list page. */
    void print(JsonNode node) {
        if (!isTable()) {
            try (Rows one = new Rows(false, null, null)) {
                one.add(node);
            }
            return;
        }
        if (node.has("data") && node.get("data").isArray()) {
            String object = node.get("data").path(0).path("object").asText();
            List<String> columns = switch (object) {
                case "dead_letter" -> List.of("id", "queue", "jobId", "lines", "redriveJobId", "createTime");
                case "api_key" -> List.of("id", "name", "prefix", "createTime", "revokedTime");
                case "execution" -> List.of("id", "status.overview", "status.finishedFiles", "status.failedFiles",
                        "status.totalFiles", "spec.source.path", "createTime");
                // the request id is what `webhooks replay ID REQUEST_ID` takes
                case "webhook.delivery" -> List.of("requestId", "jobId", "itemIndex", "event", "progressPercent",
                        "statusCode", "latencyMs", "error", "time", "replay");
                // rows that carry no object (a job's lineage lines): their own fields, in the order first seen
                case "" -> node.get("data").isEmpty() ? List.of("id", "name", "status.overview", "createTime")
                        : fieldsOf(node.get("data"));
                default -> List.of("id", "name", "status.overview", "createTime");
            };
            out.println(String.join("\t", columns.stream().map(c -> c.toUpperCase(Locale.ROOT)).toList()));
            for (JsonNode row : node.get("data")) {
                out.println(String.join("\t", columns.stream().map(c -> cell(row, c)).toList()));
            }
            if (node.hasNonNull("nextPage")) {
                out.println("next page: --page " + node.get("nextPage").asText());
            }
            out.flush();
            return;
        }
        node.fields().forEachRemaining(f -> {
            JsonNode v = f.getValue();
            String text = isTime(f.getKey(), v) ? time(v) : v.isValueNode() ? v.asText() : v.toString();
            out.printf("%-16s %s%n", f.getKey(), text.length() > 160 ? text.substring(0, 157) + "..." : text);
        });
        out.flush();
    }

    /** A plain value list (e.g. the files a command wrote): one per line, or one array of strings. */
    void printAll(List<String> values) {
        try (Rows rows = rows(null, JsonNode::asText)) {
            values.forEach(v -> rows.add(TextNode.valueOf(v)));
        }
    }

    /**
     * An open list of entries: in a table a header (may be null) and one {@code line} per entry; with json or yaml one
     * array whose elements are written as they come. Close it to end the document.
     */
    Rows rows(String header, Function<JsonNode, String> line) {
        return new Rows(true, header, line);
    }

    final class Rows implements AutoCloseable {
        private final boolean list;
        private final String header;
        private final Function<JsonNode, String> line;
        private JsonGenerator generator;
        private boolean started;

        private Rows(boolean list, String header, Function<JsonNode, String> line) {
            this.list = list;
            this.header = header;
            this.line = line;
        }

        void add(JsonNode entry) {
            if (isTable()) {
                if (!started && header != null) {
                    out.println(header);
                }
                started = true;
                out.println(line.apply(entry));
                return;
            }
            try {
                open().writeTree(entry);
                generator.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private JsonGenerator open() throws IOException {
            if (generator == null) {
                ObjectMapper mapper = format == Format.yaml ? YAML : JSON;
                generator = mapper.getFactory().createGenerator(new NonClosingWriter(out));
                generator.setCodec(mapper);
                if (format == Format.json) {
                    generator.useDefaultPrettyPrinter();
                }
                if (list) {
                    generator.writeStartArray();
                }
            }
            return generator;
        }

        /** Ends the document: an empty list is {@code []} (json, yaml) or its header alone (table). */
        @Override
        public void close() {
            if (isTable()) {
                if (!started && header != null) {
                    out.println(header);
                }
                out.flush();
                return;
            }
            try {
                open();
                if (list) {
                    generator.writeEndArray();
                }
                generator.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (format == Format.json) {
                out.println();
            }
            out.flush();
        }
    }

    /** The field names of the rows, each once, in the order they first appear. */
    private static List<String> fieldsOf(JsonNode rows) {
        java.util.LinkedHashSet<String> names = new java.util.LinkedHashSet<>();
        rows.forEach(row -> row.fieldNames().forEachRemaining(names::add));
        return List.copyOf(names);
    }

    /** A table cell: a dotted path into the row; arrays show their size; times ISO-8601; missing values "-". */
    static String cell(JsonNode row, String path) {
        JsonNode v = row;
        String last = path;
        for (String part : path.split("\\.")) {
            v = v.path(part);
            last = part;
        }
        return v.isMissingNode() || v.isNull() ? "-" : v.isArray() ? Integer.toString(v.size())
                : isTime(last, v) ? time(v) : v.asText();
    }

    private static boolean isTime(String field, JsonNode v) {
        return (field.endsWith("Time") || field.equals("time")) && v.isIntegralNumber();
    }

    /** Epoch milliseconds as an ISO-8601 instant in UTC ({@code 2026-12-07T09:30:00.250Z}). */
    static String time(JsonNode epochMillis) {
        return Instant.ofEpochMilli(epochMillis.asLong()).toString();
    }

    /** Lets Jackson close its generator without closing the command's stdout. */
    private static final class NonClosingWriter extends java.io.FilterWriter {
        NonClosingWriter(PrintWriter out) {
            super(out);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
