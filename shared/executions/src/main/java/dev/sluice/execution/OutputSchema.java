package dev.sluice.execution;

import java.util.ArrayList;
import java.util.List;

/**
 * The one schema of every output file of an execution: its columns (names, order, logical types) and the feature
 * columns. The first file with rows that a worker reads fixes it (a conditional write beside the execution, see
 * {@link dev.sluice.execution.ExecutionStore#fixSchema}); every later file is written in it, its values converted
 * exactly ({@link Cells#convert}), or fails with {@code execution.schema_mismatch}.
 *
 * @param fixedBy the source file that fixed it (for the messages of the files that do not fit)
 */
public record OutputSchema(List<Table.Column> columns, List<String> features, String fixedBy) {
    public List<String> names() {
        return columns.stream().map(Table.Column::name).toList();
    }

    /** The same columns and features (whoever fixed it). */
    public boolean sameAs(OutputSchema other) {
        return columns.equals(other.columns) && features.equals(other.features);
    }

    /**
     * The table (holding this file's own columns, {@code own}) in this schema: the same names in the same order, each
     * value converted exactly to this schema's type.
     *
     * @throws FileProblem execution.schema_mismatch naming the first column or value that does not fit
     */
    public Table fit(Table table, String file) {
        List<String> names = table.columns().stream().map(Table.Column::name).toList();
        if (!names.equals(names())) {
            throw new FileProblem("execution.schema_mismatch", "the columns of " + file + " (" + String.join(", ", names)
                    + ") are not those of this execution's output schema, fixed by " + fixedBy + " ("
                    + String.join(", ", names()) + "): every file of one execution must have the same columns in the"
                    + " same order; run differing files as separate executions");
        }
        List<Object[]> rows = new ArrayList<>(table.rows().size());
        for (Object[] row : table.rows()) {
            rows.add(row.clone());
        }
        for (int c = 0; c < columns.size(); c++) {
            Table.Type from = table.columns().get(c).type();
            Table.Type to = columns.get(c).type();
            if (from.equals(to)) {
                continue;
            }
            for (int r = 0; r < rows.size(); r++) {
                try {
                    rows.get(r)[c] = Cells.convert(rows.get(r)[c], from, to);
                } catch (IllegalArgumentException e) {
                    throw new FileProblem("execution.schema_mismatch", "column \"" + columns.get(c).name() + "\" of "
                            + file + " row " + r + ": " + e.getMessage() + ", its type in this execution's output"
                            + " schema (fixed by " + fixedBy + "); give every file of one execution the same column"
                            + " types, or run the file in another execution");
                }
            }
        }
        return new Table(columns, rows);
    }
}
