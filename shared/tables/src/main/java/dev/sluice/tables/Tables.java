package dev.sluice.tables;

import dev.sluice.execution.FileType;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import dev.sluice.execution.TableFormat;
import dev.sluice.execution.TableReader;
import dev.sluice.execution.TableWriter;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;

/** Every file format of executions, by type, streaming both ways. */
public final class Tables implements TableFormat {
    @Override
    public TableReader open(FileType type, FolderStore.Source file, RowBudget budget) throws IOException {
        return switch (type) {
            case CSV -> CsvFiles.open(file, budget);
            case NDJSON -> NdjsonFiles.open(file, budget);
            case PARQUET -> ParquetFiles.open(file, budget);
            case FEATHER -> FeatherFiles.open(file, budget);
        };
    }

    @Override
    public TableWriter create(FileType type, List<Table.Column> columns, OutputStream out, long bufferBytes)
            throws IOException {
        return switch (type) {
            case CSV -> CsvFiles.create(columns, out);
            case NDJSON -> NdjsonFiles.create(columns, out);
            case PARQUET -> ParquetFiles.create(columns, out, bufferBytes);
            case FEATHER -> FeatherFiles.create(columns, out);
        };
    }
}
