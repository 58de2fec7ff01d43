package dev.sluice.tables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.core.Json;
import dev.sluice.execution.Cells;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

    static Table read(Path file, RowBudget budget) throws IOException {
        Map<String, Table.Type> types = new LinkedHashMap<>();
        List<Map<String, Object>> objects = new ArrayList<>();
        try (BudgetReader counted = new BudgetReader(Encodings.reader(file), budget);
             BufferedReader reader = new BufferedReader(counted)) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
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
                budget.charge(values.values().toArray());
                budget.chargeBytes(48L * values.size()); // the map's entries
                objects.add(values);
            }
        } catch (java.nio.charset.CharacterCodingException bad) {
            throw Encodings.notText(file, bad);
        }
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
    static void write(Table table, Path file) throws IOException {
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (Object[] row : table.rows()) {
                ObjectNode node = Json.MAPPER.createObjectNode();
                for (int i = 0; i < row.length; i++) {
                    String name = table.columns().get(i).name();
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
                        default -> node.put(name, Cells.text(row[i], table.columns().get(i).type()));
                    }
                }
                writer.write(Json.MAPPER.writeValueAsString(node));
                writer.write('\n');
            }
        }
    }
}
