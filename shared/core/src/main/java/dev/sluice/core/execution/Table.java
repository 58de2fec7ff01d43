package dev.sluice.core.execution;

import java.util.ArrayList;
import java.util.List;

/**
 * The rows of one file in memory: named, typed columns and one value array per row (Long, Double, String, Boolean or
 * null). Every file format reads into and writes from this, so an execution can read CSV and write Parquet.
 */
public record Table(List<Column> columns, List<Object[]> rows) {
    public enum Type { LONG, DOUBLE, STRING, BOOLEAN }

    public record Column(String name, Type type) {
    }

    public int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** This table with more columns, whose values each row gets from {@code values} (row index → values). */
    public Table append(List<Column> extra, java.util.function.IntFunction<Object[]> values) {
        List<Column> all = new ArrayList<>(columns);
        all.addAll(extra);
        List<Object[]> out = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            Object[] row = rows.get(r);
            Object[] more = values.apply(r);
            Object[] joined = new Object[row.length + extra.size()];
            System.arraycopy(row, 0, joined, 0, row.length);
            System.arraycopy(more, 0, joined, row.length, more.length);
            out.add(joined);
        }
        return new Table(List.copyOf(all), out);
    }
}
