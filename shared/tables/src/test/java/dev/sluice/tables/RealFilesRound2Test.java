package dev.sluice.tables;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.execution.Cells;
import dev.sluice.execution.FileProblem;
import dev.sluice.execution.FileType;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.RowMapping;
import dev.sluice.execution.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 21 items 4, 5, 8 and 10 on files written by pandas 3.0.6 and pyarrow 25.0.1 (test resources round2/, made by
 * its make_files.py, which records the versions in expected.json), compared with what pandas and pyarrow read.
 */
class RealFilesRound2Test {
    static final Path DIR = DifferentialTest.resource("round2");
    static final JsonNode EXPECTED = Json.tree(DifferentialTest.read(DIR.resolve("expected.json"))).path("files");
    private final Tables tables = new Tables();

    private static List<Object> column(Table t, String name) {
        int c = t.columnIndex(name);
        List<Object> values = new ArrayList<>();
        t.rows().forEach(r -> values.add(r[c]));
        return values;
    }

    private static List<Object> expected(String file, String column) {
        List<Object> values = new ArrayList<>();
        for (JsonNode v : EXPECTED.path(file).path(column)) {
            values.add(v.isNull() ? null : v.isTextual() ? v.asText() : v.isIntegralNumber() ? (Object) v.asLong()
                    : v.asDouble());
        }
        return values;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"snappy", "gzip", "zstd", "brotli", "lz4", "lz4_raw"})
    void everyParquetCodecPyarrowWritesReadsAsPandasReadsIt(String codec) throws IOException {
        String name = "codec-" + codec + ".parquet";
        Table t = tables.read(FileType.PARQUET, DIR.resolve(name));
        assertEquals(expected(name, "x"), column(t, "x"));
        assertEquals(expected(name, "s"), column(t, "s"));
        assertEquals(expected(name, "i"), column(t, "i"));
    }

    @Test
    void arrowDictionaryDeltasAreRead() throws IOException {
        Table t = tables.read(FileType.FEATHER, DIR.resolve("deltas.feather"));
        assertEquals(expected("deltas.feather", "medal"), column(t, "medal")); // gold … bronze, gold, null
        assertEquals("bronze", column(t, "medal").get(3));
        assertEquals(expected("deltas.feather", "x"), column(t, "x"));
    }

    @Test
    void anArrowStreamsReplacementDictionaryDecodesTheBatchesAfterIt() throws IOException {
        Table t = tables.read(FileType.FEATHER, DIR.resolve("replacement.arrow"));
        assertEquals(expected("replacement.arrow", "medal"), column(t, "medal")); // x, y, gold, bronze
        assertEquals(expected("replacement.arrow", "x"), column(t, "x"));
    }

    @Test
    void aCp1252CsvFailsSayingItIsNotUtf8AndWhere() {
        IOException e = assertThrows(IOException.class, () -> tables.read(FileType.CSV, DIR.resolve("cp1252.csv")));
        // name,x\n (7 bytes) plain,1\n (8 bytes) caf|é: the 19th byte, on line 3
        assertTrue(e.getMessage().startsWith("the file is not UTF-8: line 3, byte 19 of the file (0xE9)"), e.getMessage());
    }

    @Test
    void pandasMissingSpellingsAreMissingAsPandasReadsThem() throws IOException {
        Table t = tables.read(FileType.CSV, DIR.resolve("na-spellings.csv"));
        List<Object> pandas = expected("na-spellings.csv", "spend");
        List<Object> cells = column(t, "spend");
        for (int r = 0; r < cells.size(); r++) {
            assertEquals(pandas.get(r) == null, Cells.isMissing(cells.get(r)), "row " + r + ": " + cells.get(r));
            assertEquals(pandas.get(r), Cells.number(cells.get(r)), "row " + r);
        }
        int[] features = RowMapping.featureColumns(t, Map.of(), true);
        assertArrayEquals(new int[]{t.columnIndex("tenure"), t.columnIndex("spend"), t.columnIndex("visits")},
                features, "the True/False target is not a default feature");
    }

    /** Every chunk of the file read on the budget (as a file task reads it), in one table. */
    private Table streamed(FileType type, Path file, RowBudget budget) throws IOException {
        List<Object[]> rows = new java.util.ArrayList<>();
        Table last = null;
        try (dev.sluice.execution.TableReader reader = tables.open(type, dev.sluice.execution.FolderStore.Source.of(file), budget)) {
            for (Table chunk = reader.next(new dev.sluice.execution.TableReader.Limit(1000, budget.chunkBytes()));
                 chunk != null; chunk = reader.next(new dev.sluice.execution.TableReader.Limit(1000, budget.chunkBytes()))) {
                rows.addAll(chunk.rows());
                last = chunk;
            }
        }
        return new Table(last.columns(), rows);
    }

    @Test
    void aCsvLargerThanItsBudgetStreamsInChunks(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("big.csv");
        Files.writeString(file, "a,b\n" + "1,2\n".repeat(10_000));
        assertEquals(10_000, streamed(FileType.CSV, file, new RowBudget(100_000)).rows().size());
    }

    @Test
    void oneHugeCsvFieldFailsBeforeItIsHeldWhole(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("field.csv");
        Files.writeString(file, "a\n\"" + "x".repeat(2_000_000) + "\"\n");
        FileProblem p = assertThrows(FileProblem.class, () -> streamed(FileType.CSV, file, new RowBudget(1_000_000)));
        assertEquals("execution.line_too_long", p.code);
    }

    /**
     * What must be held whole and does not fit fails naming it: codec-zstd.parquet's footer is 1,856 bytes (charged
     * ×10) and its row group 301 bytes; deltas.feather's record batch is over 300 bytes.
     */
    @Test
    void aFooterRowGroupOrRecordBatchOverTheBudgetFailsNamingIt() throws IOException {
        Path parquet = DIR.resolve("codec-zstd.parquet");
        assertEquals("execution.footer_too_large", assertThrows(FileProblem.class,
                () -> streamed(FileType.PARQUET, parquet, new RowBudget(3_000))).code);
        assertEquals("execution.row_group_too_large", assertThrows(FileProblem.class,
                () -> streamed(FileType.PARQUET, parquet, new RowBudget(18_700))).code);
        assertTrue(streamed(FileType.PARQUET, parquet, new RowBudget(18_900)).rows().size() > 0, "both fit: it reads");
        assertEquals("execution.record_batch_too_large", assertThrows(FileProblem.class,
                () -> streamed(FileType.FEATHER, DIR.resolve("deltas.feather"), new RowBudget(300))).code);
    }

    /**
     * A footer of 100,000 nested Thrift structs (compact protocol: field 1 of type struct, 0x1C, again and again)
     * overflows a recursive reader's stack: the read fails as an IOException, not a StackOverflowError.
     */
    @Test
    void aParquetFooterOfDeeplyNestedThriftFailsAsUnreadable(@TempDir Path dir) throws IOException {
        byte[] footer = new byte[100_000];
        java.util.Arrays.fill(footer, (byte) 0x1C);
        java.nio.ByteBuffer file = java.nio.ByteBuffer.allocate(4 + footer.length + 8)
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        file.put("PAR1".getBytes()).put(footer).putInt(footer.length).put("PAR1".getBytes());
        Path hostile = dir.resolve("nested.parquet");
        Files.write(hostile, file.array());
        assertThrows(IOException.class, () -> streamed(FileType.PARQUET, hostile, RowBudget.ofHeap()));
    }
}
