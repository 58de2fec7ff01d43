package dev.sluice.execution;


import java.io.IOException;
import java.nio.file.Path;

/** Reads and writes the rows of CSV, Parquet, Feather and NDJSON files. */
public interface TableFormat {
    Table read(FileType type, Path file) throws IOException;

    void write(FileType type, Table table, Path file) throws IOException;
}
