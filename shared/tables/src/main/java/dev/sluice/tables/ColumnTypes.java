package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.Table;

import java.math.BigDecimal;
import java.util.List;

/**
 * The type of a column of JSON values (NDJSON files): int64 when every number is a whole number that fits, a
 * decimal(p, 0) for larger whole numbers, double when one has a fraction, bool, and string for text, nested values
 * (as their JSON) and mixed columns (each value as its text). A column whose numbers a double cannot hold exactly
 * becomes a string column rather than lose digits.
 */
final class ColumnTypes {
    private ColumnTypes() {
    }

    static Table.Type of(Object value) {
        return switch (value) {
            case Long l -> Table.Type.INT64;
            case BigDecimal d -> Table.Type.decimal(Math.max(d.precision(), 1), 0);
            case Double d -> Table.Type.FLOAT64;
            case Boolean b -> Table.Type.BOOLEAN;
            default -> Table.Type.STRING;
        };
    }

    /** Joins two types; null is "no value seen yet". */
    static Table.Type join(Table.Type a, Table.Type b) {
        if (a == null || a.equals(b)) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if (!number(a) || !number(b)) {
            return Table.Type.STRING;
        }
        if (a.kind() == Table.Kind.FLOAT || b.kind() == Table.Kind.FLOAT) {
            return Table.Type.FLOAT64;
        }
        int digits = Math.max(digits(a), digits(b));
        return digits > 38 ? Table.Type.STRING : Table.Type.decimal(digits, 0);
    }

    private static boolean number(Table.Type t) {
        return t.kind() == Table.Kind.INT || t.kind() == Table.Kind.FLOAT || t.kind() == Table.Kind.DECIMAL;
    }

    private static int digits(Table.Type t) {
        return t.kind() == Table.Kind.INT ? 19 : t.precision();
    }

    /**
     * Converts every value of the rows to its column's type, exactly; a column where that fails becomes a string
     * column of the values' text. Returns the columns as they end.
     */
    static List<Table.Column> coerce(List<Object[]> rows, List<Table.Column> columns) {
        Table.Column[] result = columns.toArray(new Table.Column[0]);
        for (int c = 0; c < result.length; c++) {
            Table.Type to = result[c].type();
            try {
                Object[] converted = new Object[rows.size()];
                for (int r = 0; r < converted.length; r++) {
                    Object v = rows.get(r)[c];
                    converted[r] = v == null || to.kind() == Table.Kind.STRING ? v : Cells.convert(v, of(v), to);
                }
                for (int r = 0; r < converted.length; r++) {
                    rows.get(r)[c] = converted[r];
                }
            } catch (IllegalArgumentException e) {
                to = Table.Type.STRING;
                result[c] = new Table.Column(result[c].name(), to);
            }
            if (to.kind() == Table.Kind.STRING) {
                for (Object[] row : rows) {
                    if (row[c] != null && !(row[c] instanceof String)) {
                        row[c] = row[c] instanceof BigDecimal d ? d.toPlainString() : row[c].toString();
                    }
                }
            }
        }
        return List.of(result);
    }
}
