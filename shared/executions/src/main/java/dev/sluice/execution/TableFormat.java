package dev.sluice.execution;


import java.io.IOException;
import java.nio.file.Path;

/** Reads and writes the rows of CSV, Parquet, Feather and NDJSON files. */
public interface TableFormat {
    /**
     * The file's rows, charged to the budget as they are read: a file whose rows do not fit fails with
     * {@link FileProblem} {@code execution.file_too_large} before the heap runs out.
     */
    Table read(FileType type, Path file, RowBudget budget) throws IOException;

    /** The file's rows, without a memory bound (files the caller wrote itself). */
    default Table read(FileType type, Path file) throws IOException {
        return read(type, file, RowBudget.unbounded());
    }

    void write(FileType type, Table table, Path file) throws IOException;
}
