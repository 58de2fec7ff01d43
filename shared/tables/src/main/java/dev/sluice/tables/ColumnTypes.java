package dev.sluice.tables;

import dev.sluice.core.execution.Table;

import java.util.List;

/** The type of a column of text or JSON values: the narrowest of LONG, DOUBLE, BOOLEAN, STRING that holds them all. */
final class ColumnTypes {
    private ColumnTypes() {
    }

    static Table.Type of(Object value) {
        if (value instanceof Long || value instanceof Integer) {
            return Table.Type.LONG;
        }
        if (value instanceof Number) {
            return Table.Type.DOUBLE;
        }
        if (value instanceof Boolean) {
            return Table.Type.BOOLEAN;
        }
        return Table.Type.STRING;
    }

    /** Joins two types; null is "no value seen yet". */
    static Table.Type join(Table.Type a, Table.Type b) {
        if (a == null || a == b) {
            return b;
        }
        if (b == null) {
            return a;
        }
        if ((a == Table.Type.LONG && b == Table.Type.DOUBLE) || (a == Table.Type.DOUBLE && b == Table.Type.LONG)) {
            return Table.Type.DOUBLE;
        }
        return Table.Type.STRING;
    }

    /** A text value as the column's type (the column was typed from the same values). */
    static Object parse(String text, Table.Type type) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        return switch (type) {
            case LONG -> Long.parseLong(text);
            case DOUBLE -> Double.parseDouble(text);
            case BOOLEAN -> Boolean.parseBoolean(text);
            case STRING -> text;
        };
    }

    /** The type a text value reads as: a whole number, a number, or text. */
    static Table.Type ofText(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            Long.parseLong(text);
            return Table.Type.LONG;
        } catch (NumberFormatException e) {
            // not a whole number
        }
        try {
            double d = Double.parseDouble(text);
            return Double.isFinite(d) || text.matches("[+-]?(NaN|Infinity)") ? Table.Type.DOUBLE : Table.Type.STRING;
        } catch (NumberFormatException e) {
            return Table.Type.STRING;
        }
    }

    /** Converts every value of a row to its column's type (a LONG in a DOUBLE column, any value in a STRING one). */
    static Object[] coerce(Object[] row, List<Table.Column> columns) {
        for (int i = 0; i < row.length; i++) {
            Object v = row[i];
            if (v == null) {
                continue;
            }
            switch (columns.get(i).type()) {
                case DOUBLE -> row[i] = ((Number) v).doubleValue();
                case STRING -> row[i] = v instanceof String ? v : String.valueOf(v);
                default -> {
                }
            }
        }
        return row;
    }
}
