package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Table;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
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

    /** Excel's "CSV UTF-8" (a byte-order mark, CRLF) and pandas' to_csv() (an empty first header cell, repeated names). */
    @org.junit.jupiter.api.Test
    void csvWithAByteOrderMarkCrlfAndPandasHeaders_isReadAsPandasReadsIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("excel.csv");
        Files.write(file, concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                ",id,x,x\r\n0,00042,1.5,\r\n\r\n1,7,\" 2\",3\r\n".getBytes(StandardCharsets.UTF_8)));
        Table t = tables.read(FileType.CSV, file);
        assertEquals(List.of("Unnamed: 0", "id", "x", "x.1"), t.columns().stream().map(Table.Column::name).toList());
        assertEquals(2, t.rows().size(), "the blank line is no row");
        assertEquals(Arrays.asList("0", "00042", "1.5", null), Arrays.asList(t.rows().get(0)));
        assertEquals(Arrays.asList("1", "7", " 2", "3"), Arrays.asList(t.rows().get(1)), "cells are kept as written");
    }

    @org.junit.jupiter.api.Test
    void csvAndNdjsonInUtf16WithItsMark_andNdjsonWithAUtf8Mark_areRead(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("utf16.csv");
        Files.write(csv, concat(new byte[]{(byte) 0xFF, (byte) 0xFE}, "a,b\r\nü,2\r\n".getBytes(StandardCharsets.UTF_16LE)));
        assertEquals(Arrays.asList("ü", "2"), Arrays.asList(tables.read(FileType.CSV, csv).rows().get(0)));
        Path ndjson = dir.resolve("bom.ndjson");
        Files.write(ndjson, concat(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF},
                "{\"a\":1}\r\n\r\n{\"a\":2.5}\r\n".getBytes(StandardCharsets.UTF_8)));
        Table t = tables.read(FileType.NDJSON, ndjson);
        assertEquals(List.of(new Table.Column("a", Table.Type.FLOAT64)), t.columns());
        assertEquals(List.of(1.0, 2.5), t.rows().stream().map(r -> r[0]).toList());
    }

    @org.junit.jupiter.api.Test
    void csvThatIsNotValidUtf8IsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("latin1.csv");
        Files.write(file, "a\r\nd\u00e9j\u00e0\r\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThrows(java.io.IOException.class, () -> tables.read(FileType.CSV, file));
    }

    /**
     * Parquet layouts pyarrow does not write (so DifferentialTest cannot hold them), written here with parquet-java's
     * own writer: a decimal stored as BINARY (variable-length two's complement, as Hive and older Spark write it),
     * and a decimal in INT32.
     */
    @org.junit.jupiter.api.Test
    void parquetDecimalsStoredAsBinaryAndInt32_areReadWithTheirScale(@TempDir Path dir) throws Exception {
        org.apache.parquet.schema.MessageType schema = org.apache.parquet.schema.Types.buildMessage()
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.BINARY)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.decimalType(3, 30)).named("bin")
                .optional(org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName.INT32)
                .as(org.apache.parquet.schema.LogicalTypeAnnotation.decimalType(2, 9)).named("i32")
                .named("schema");
        Path file = dir.resolve("decimals.parquet");
        var groups = new org.apache.parquet.example.data.simple.SimpleGroupFactory(schema);
        try (var writer = org.apache.parquet.hadoop.example.ExampleParquetWriter
                .builder(new org.apache.parquet.io.LocalOutputFile(file))
                .withConf(new org.apache.parquet.conf.PlainParquetConfiguration()).withType(schema)
                .withCodecFactory(ParquetCodecs.INSTANCE).build()) {
            String[] values = {"-12345678901234567890123.456", "0.001", null};
            int[] ints = {1234, -1, 999_999_999};
            for (int r = 0; r < 3; r++) {
                var g = groups.newGroup();
                if (values[r] != null) {
                    g.append("bin", org.apache.parquet.io.api.Binary.fromConstantByteArray(
                            new java.math.BigDecimal(values[r]).unscaledValue().toByteArray()));
                }
                g.append("i32", ints[r]);
                writer.write(g);
            }
        }
        Table t = tables.read(FileType.PARQUET, file);
        assertEquals(List.of(Table.Type.decimal(30, 3), Table.Type.decimal(9, 2)),
                t.columns().stream().map(Table.Column::type).toList());
        assertEquals(Arrays.asList(new java.math.BigDecimal("-12345678901234567890123.456"), new java.math.BigDecimal("12.34")),
                Arrays.asList(t.rows().get(0)));
        assertEquals(Arrays.asList(new java.math.BigDecimal("0.001"), new java.math.BigDecimal("-0.01")),
                Arrays.asList(t.rows().get(1)));
        assertEquals(Arrays.asList(null, new java.math.BigDecimal("9999999.99")), Arrays.asList(t.rows().get(2)));
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
