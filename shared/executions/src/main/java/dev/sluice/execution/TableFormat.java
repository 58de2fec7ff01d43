package dev.sluice.execution;


import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes the rows of CSV, Parquet, Feather and NDJSON files, streaming (chunk by chunk) both ways. */
public interface TableFormat {
    /**
     * A reader of the file's rows in chunks. What the format makes it hold whole (footer, row group, record batch,
     * record) is charged to the budget: a piece that does not fit fails with {@link FileProblem} of that
     * {@link RowBudget.Held} code before the heap runs out.
     */
    TableReader open(FileType type, FolderStore.Source file, RowBudget budget) throws IOException;

    /**
     * A writer of the columns to the stream. bufferBytes: what it may hold before writing out (Parquet: a row
     * group's size), at least a MiB.
     */
    TableWriter create(FileType type, List<Table.Column> columns, OutputStream out, long bufferBytes) throws IOException;

    /** The file's rows in one table, without a memory bound (files the caller wrote itself, tests). */
    default Table read(FileType type, Path file) throws IOException {
        try (TableReader reader = open(type, FolderStore.Source.of(file), RowBudget.unbounded())) {
            Table first = reader.next(TableReader.Limit.NONE);
            List<Object[]> rows = new ArrayList<>(first.rows());
            for (Table more = reader.next(TableReader.Limit.NONE); more != null; more = reader.next(TableReader.Limit.NONE)) {
                rows.addAll(more.rows());
                first = new Table(more.columns(), rows);
            }
            return new Table(first.columns(), rows);
        }
    }

    /** Writes the table to a local file. */
    default void write(FileType type, Table table, Path file) throws IOException {
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file))) {
            TableWriter writer = create(type, table.columns(), out, 64L << 20);
            writer.write(table);
            writer.finish();
        }
    }
}
