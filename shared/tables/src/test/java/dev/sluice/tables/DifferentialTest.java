package dev.sluice.tables;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Table;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Files written by pandas and pyarrow (test resources differential/, made by its make_files.py, which records the
 * versions it ran with) read by Sluice and compared cell by cell, and type by type, with what pyarrow read from the
 * same files (expected.json). CSV files are compared with pandas' reading as text.
 */
class DifferentialTest {
    static final Path DIR = resource("differential");
    static final JsonNode EXPECTED = Json.tree(read(DIR.resolve("expected.json")));

    static Path resource(String name) {
        try {
            return Path.of(DifferentialTest.class.getResource("/" + name).toURI());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Stream<String> files() {
        List<String> names = new ArrayList<>();
        EXPECTED.path("files").fieldNames().forEachRemaining(names::add);
        return names.stream();
    }

    static FileType typeOf(String name) {
        return Stream.of(FileType.values()).filter(t -> t.matches(name)).findFirst().orElseThrow();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void sluiceReadsEveryCellAsPyarrowDoes(String name) throws Exception {
        Table table = new Tables().read(typeOf(name), DIR.resolve(name));
        JsonNode columns = EXPECTED.path("files").path(name);
        assertEquals(columns.size(), table.columns().size(), name + ": " + table.columns());
        for (int c = 0; c < columns.size(); c++) {
            JsonNode expected = columns.get(c);
            Table.Column column = table.columns().get(c);
            String where = name + " column " + column.name();
            assertEquals(expected.path("name").asText(), column.name(), where);
            assertEquals(expectedType(expected.path("type").asText()), column.type().toString(), where);
            JsonNode values = expected.path("values");
            assertEquals(values.size(), table.rows().size(), where);
            for (int r = 0; r < values.size(); r++) {
                assertCell(values.get(r), table.rows().get(r)[c], column.type(), where + " row " + r);
            }
        }
    }

    /** pyarrow's type, as Sluice holds it: a date64 column is read as dates (and written back as date32). */
    static String expectedType(String pyarrow) {
        return pyarrow.equals("date64[ms]") ? "date32[day]" : pyarrow;
    }

    static void assertCell(JsonNode expected, Object actual, Table.Type type, String where) {
        if (expected.isNull()) {
            assertNull(actual, where);
            return;
        }
        if (actual == null) {
            fail(where + ": expected " + expected + ", read null");
        }
        switch (type.kind()) {
            case INT -> assertEquals(expected.asText(), actual.toString(), where);
            case DECIMAL -> assertEquals(new BigDecimal(expected.asText()), actual, where);
            case FLOAT -> {
                double d = ((Number) actual).doubleValue();
                if (expected.isTextual()) {
                    assertEquals(expected.asText(), Double.isNaN(d) ? "nan" : d > 0 ? "inf" : "-inf", where);
                } else {
                    assertEquals(expected.asDouble(), d, 0.0, where); // exactly: a float32 widens exactly
                }
            }
            case BOOLEAN -> assertEquals(expected.asBoolean(), actual, where);
            case STRING -> assertEquals(expected.asText(), actual, where);
            case BINARY -> assertEquals(expected.asText(), Base64.getEncoder().encodeToString((byte[]) actual), where);
            case DATE -> assertEquals(expected.asText(), ((LocalDate) actual).toString(), where);
            case TIME -> assertEquals(Long.parseLong(expected.asText()),
                    ((LocalTime) actual).toNanoOfDay() / ParquetFiles.nanosPer(type.unit()), where);
            case TIMESTAMP -> {
                Instant i = actual instanceof LocalDateTime l ? l.toInstant(ZoneOffset.UTC) : (Instant) actual;
                assertEquals(Long.parseLong(expected.asText()), ParquetFiles.epoch(i, type.unit()), where);
            }
            case NULL -> fail(where + ": a null column with a value");
        }
    }

    /**
     * The other direction: every Parquet and Feather file of the set, read by Sluice and written back as Parquet and as
     * Feather, read by pyarrow (when python3 has it) with the same values, and the same types where the format holds
     * them; where Parquet cannot, the types README's type table names (large → plain, dictionary → its values,
     * second units → milliseconds, a zone name → UTC).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("files")
    void whatSluiceWritesPyarrowReadsWithTheSameTypesAndValues(String name, @org.junit.jupiter.api.io.TempDir Path tmp)
            throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(hasPyArrow(), "python3 with pyarrow");
        org.junit.jupiter.api.Assumptions.assumeFalse(name.endsWith(".csv"), "CSV is text both ways (TablesTest)");
        Table table = new Tables().read(typeOf(name), DIR.resolve(name));
        for (FileType out : List.of(FileType.PARQUET, FileType.FEATHER)) {
            Path file = tmp.resolve(out.rename("written.x"));
            new Tables().write(out, table, file);
            JsonNode read = pyarrowReading(file);
            for (int c = 0; c < table.columns().size(); c++) {
                Table.Column column = table.columns().get(c);
                String where = name + " → " + out + " column " + column.name();
                JsonNode got = read.get(c);
                assertEquals(column.name(), got.path("name").asText(), where);
                String type = got.path("type").asText();
                assertEquals(out == FileType.FEATHER ? column.type().toString() : inParquet(column.type()), type, where);
                Table.Type asRead = withUnitOf(column.type(), type);
                for (int r = 0; r < table.rows().size(); r++) {
                    assertCell(got.path("values").get(r), table.rows().get(r)[c], asRead, where + " row " + r);
                }
            }
        }
    }

    /** The type pyarrow reads back from a Parquet column Sluice wrote (README's type table). */
    static String inParquet(Table.Type t) {
        Table.Type plain = t.withDictionary(0).withLarge(false);
        if (plain.kind() == Table.Kind.TIME && plain.unit() == Table.Unit.SECOND) {
            plain = Table.Type.time(Table.Unit.MILLI);
        }
        if (plain.kind() == Table.Kind.TIMESTAMP) {
            plain = Table.Type.timestamp(plain.unit() == Table.Unit.SECOND ? Table.Unit.MILLI : plain.unit(),
                    plain.zone() == null ? null : "UTC");
        }
        return plain.toString();
    }

    static Table.Type withUnitOf(Table.Type t, String pyarrowType) {
        Table.Unit unit = pyarrowType.contains("[s") ? Table.Unit.SECOND : pyarrowType.contains("[ms")
                ? Table.Unit.MILLI : pyarrowType.contains("[us") ? Table.Unit.MICRO : Table.Unit.NANO;
        return switch (t.kind()) {
            case TIME -> Table.Type.time(unit);
            case TIMESTAMP -> Table.Type.timestamp(unit, t.zone());
            default -> t;
        };
    }

    /** pyarrow's reading of a file, as make_files.py writes expected.json. */
    static JsonNode pyarrowReading(Path file) throws Exception {
        String script = "import sys, json; sys.path.insert(0, sys.argv[1]); import make_files as m\n"
                + "import pyarrow.parquet as pq, pyarrow.feather as f\n"
                + "p = sys.argv[2]\n"
                + "t = pq.read_table(p) if p.endswith('.parquet') else f.read_table(p)\n"
                + "print(json.dumps(m.table_json(t)))\n";
        Process p = new ProcessBuilder("python3", "-c", script, DIR.toString(), file.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail("pyarrow could not read " + file.getFileName() + ": " + out);
        }
        return Json.tree(out);
    }

    static boolean hasPyArrow() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import pyarrow, pandas").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException | InterruptedException e) {
            return false;
        }
    }
}
