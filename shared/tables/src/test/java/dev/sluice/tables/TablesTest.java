package dev.sluice.tables;

import dev.sluice.core.execution.Cells;
import dev.sluice.core.execution.FileType;
import dev.sluice.core.execution.Table;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class TablesTest {
    private final Tables tables = new Tables();

    static Table sample() {
        List<Table.Column> columns = List.of(new Table.Column("id", Table.Type.INT64),
                new Table.Column("x", Table.Type.FLOAT64), new Table.Column("name", Table.Type.STRING),
                new Table.Column("ok", Table.Type.BOOLEAN));
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rows.add(new Object[]{(long) i, i % 7 == 0 ? null : i * 0.25 - 3, i % 11 == 0 ? null : "row, \"" + i + "\"\n…",
                    i % 13 == 0 ? null : i % 2 == 0});
        }
        return new Table(columns, rows);
    }

    @ParameterizedTest
    @EnumSource(FileType.class)
    void everyFormatReadsBackWhatItWrote(FileType type, @TempDir Path dir) throws Exception {
        Table written = sample();
        Path file = dir.resolve(type.rename("t.x"));
        tables.write(type, written, file);
        Table read = tables.read(type, file);
        assertEquals(written.columns().stream().map(Table.Column::name).toList(),
                read.columns().stream().map(Table.Column::name).toList());
        assertEquals(written.rows().size(), read.rows().size());
        for (int r = 0; r < written.rows().size(); r++) {
            Object[] expected = written.rows().get(r).clone();
            if (type == FileType.CSV) { // CSV has no types: every cell reads back as the text written
                for (int c = 0; c < expected.length; c++) {
                    expected[c] = Cells.text(expected[c], written.columns().get(c).type());
                }
            }
            assertEquals(Arrays.asList(expected), Arrays.asList(read.rows().get(r)), type + " row " + r);
        }
    }

    @ParameterizedTest
    @EnumSource(FileType.class)
    void aFileOfAnotherFormatIsRefused(FileType type, @TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad");
        Files.writeString(file, type == FileType.CSV ? "a,b\n1,2,3\n" : "this is not a " + type + " file\n");
        assertThrows(java.io.IOException.class, () -> tables.read(type, file));
    }
}
