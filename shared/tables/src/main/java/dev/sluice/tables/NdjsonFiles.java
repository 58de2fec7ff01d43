package dev.sluice.tables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.core.Json;
import dev.sluice.execution.Cells;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.TableReader;
import dev.sluice.execution.TableWriter;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One JSON object per line (LF or CRLF; blank lines skipped; a byte-order mark before the first line is not part of
 * it); the columns are the union of the objects' fields, in the order first seen, typed by {@link ColumnTypes}.
 */
final class NdjsonFiles {
    private NdjsonFiles() {
    }

    /**
     * The file's lines in chunks, read from one stream; each line's text is charged while it is read. A chunk's
     * columns are those seen so far (a field first seen in a later chunk adds a column at the end), typed by the
     * values seen so far.
     */
    static TableReader open(FolderStore.Source file, RowBudget budget) throws IOException {
        BudgetReader counted = new BudgetReader(Encodings.reader(file), budget, RowBudget.Held.RECORD);
        return new Lines(file, counted, new BufferedReader(counted));
    }

    private static final class Lines implements TableReader {
        private final FolderStore.Source file;
        private final BudgetReader counted;
        private final BufferedReader reader;
        private final Map<String, Table.Type> types = new LinkedHashMap<>();
        private int number;
        private boolean given;

        Lines(FolderStore.Source file, BudgetReader counted, BufferedReader reader) {
            this.file = file;
            this.counted = counted;
            this.reader = reader;
        }

        @Override
        public Table next(Limit limit) throws IOException {
            List<Map<String, Object>> objects = new ArrayList<>();
            long bytes = 0;
            try {
                String line;
                while (objects.size() < limit.rows() && bytes < limit.bytes() && (line = reader.readLine()) != null) {
                    counted.recordEnd();
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode node;
                    try {
                        node = Json.tree(line);
                    } catch (IllegalArgumentException e) {
                        throw new IOException("line " + number + ": " + e.getMessage());
                    }
                    if (!node.isObject()) {
                        throw new IOException("line " + number + " is not a JSON object");
                    }
                    Map<String, Object> values = new LinkedHashMap<>();
                    for (Map.Entry<String, JsonNode> field : node.properties()) {
                        Object v = value(field.getValue());
                        values.put(field.getKey(), v);
                        types.put(field.getKey(), v == null ? types.get(field.getKey())
                                : ColumnTypes.join(types.get(field.getKey()), ColumnTypes.of(v)));
                    }
                    bytes += RowBudget.cost(values.values().toArray()) + 48L * values.size(); // the map's entries
                    objects.add(values);
                }
            } catch (java.nio.charset.CharacterCodingException bad) {
                throw Encodings.notText(file, bad);
            }
            if (objects.isEmpty() && given) {
                return null;
            }
            given = true;
            List<Table.Column> columns = new ArrayList<>();
            types.forEach((name, type) -> columns.add(new Table.Column(name, type == null ? Table.Type.STRING : type)));
            List<Object[]> rows = new ArrayList<>(objects.size());
            for (Map<String, Object> values : objects) {
                Object[] row = new Object[columns.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = values.get(columns.get(i).name());
                }
                rows.add(row);
            }
            return new Table(ColumnTypes.coerce(rows, columns), rows);
        }

        @Override
        public void close() throws IOException {
            counted.recordEnd();
            reader.close();
        }
    }

    private static Object value(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToLong() ? (Object) v.longValue() : new java.math.BigDecimal(v.bigIntegerValue());
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        return v.isTextual() ? v.textValue() : v.toString();
    }

    /**
     * One object per row with every column (null for a missing value): numbers as JSON numbers (floats as the
     * shortest decimal that reads back as the same float32 or float64; NaN and ±inf, which JSON cannot hold, as null),
     * booleans as JSON booleans, every other type as the text {@link Cells#text} gives.
     */
    static TableWriter create(List<Table.Column> columns, OutputStream out) {
        Writer writer = new java.io.BufferedWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
        return new TableWriter() {
            @Override
            public void write(Table table) throws IOException {
                for (Object[] row : table.rows()) {
                    ObjectNode node = Json.MAPPER.createObjectNode();
                    for (int i = 0; i < row.length; i++) {
                        String name = columns.get(i).name();
                        switch (row[i]) {
                            case null -> node.putNull(name);
                            case Long l -> node.put(name, l);
                            case java.math.BigInteger b -> node.put(name, b);
                            case java.math.BigDecimal d -> node.put(name, d);
                            case Float f -> {
                                if (Float.isFinite(f)) node.put(name, f); else node.putNull(name);
                            }
                            case Double d -> {
                                if (Double.isFinite(d)) node.put(name, d); else node.putNull(name);
                            }
                            case Boolean b -> node.put(name, b);
                            default -> node.put(name, Cells.text(row[i], columns.get(i).type()));
                        }
                    }
                    writer.write(Json.MAPPER.writeValueAsString(node));
                    writer.write('\n');
                }
            }

            @Override
            public void finish() throws IOException {
                writer.flush();
            }
        };
    }
}
