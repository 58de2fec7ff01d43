package dev.sluice.tables;

import dev.sluice.execution.FileType;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import dev.sluice.execution.TableFormat;

import java.io.IOException;
import java.nio.file.Path;

/** Every file format of executions, by type. */
public final class Tables implements TableFormat {
    @Override
    public Table read(FileType type, Path file, RowBudget budget) throws IOException {
        return switch (type) {
            case CSV -> CsvFiles.read(file, budget);
            case NDJSON -> NdjsonFiles.read(file, budget);
            case PARQUET -> ParquetFiles.read(file, budget);
            case FEATHER -> FeatherFiles.read(file, budget);
        };
    }

    @Override
    public void write(FileType type, Table table, Path file) throws IOException {
        switch (type) {
            case CSV -> CsvFiles.write(table, file);
            case NDJSON -> NdjsonFiles.write(table, file);
            case PARQUET -> ParquetFiles.write(table, file);
            case FEATHER -> FeatherFiles.write(table, file);
        }
    }
}
