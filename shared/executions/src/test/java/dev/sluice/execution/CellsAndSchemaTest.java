package dev.sluice.execution;

import dev.sluice.core.Json;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CellsAndSchemaTest {
    @Test
    void aFeatureIsAFiniteNumber_orNull() {
        assertEquals(3.5, Cells.feature(" 3.5 "));
        assertEquals(1e-5, Cells.feature("1E-5"));
        assertEquals(1.0, Cells.feature(true));
        assertEquals(1.8446744073709552E19, Cells.feature(new BigInteger("18446744073709551615")));
        assertEquals(12.34, Cells.feature(new BigDecimal("12.34")));
        for (Object bad : Arrays.asList(null, "NaN", "nan", "inf", "-Infinity", "1f", "0x10", "1d", "", "abc",
                Double.NaN, Float.POSITIVE_INFINITY, LocalTime.NOON, new byte[]{1})) {
            assertNull(Cells.feature(bad), String.valueOf(bad));
        }
    }

    @Test
    void textIsExact_andFloatsAreShortest() {
        assertEquals("3.6999998", Cells.text(3.6999998f, Table.Type.FLOAT32));
        assertEquals("0.1", Cells.text(0.1, Table.Type.FLOAT64));
        assertEquals("5.00", Cells.text(new BigDecimal("5.00"), Table.Type.decimal(3, 2)));
        assertEquals("100000000000000000000", Cells.text(new BigDecimal("1E+20"), Table.Type.decimal(21, 0)));
        assertEquals("18446744073709551615", Cells.text(new BigInteger("18446744073709551615"), Table.Type.integer(64, false)));
        assertEquals("2024-02-29 13:45:30.120", Cells.text(LocalDateTime.of(2024, 2, 29, 13, 45, 30, 120_000_000),
                Table.Type.timestamp(Table.Unit.MILLI, null)));
        assertEquals("1970-01-01 01:00:00+01:00", Cells.text(Instant.EPOCH,
                Table.Type.timestamp(Table.Unit.SECOND, "Europe/Paris")));
        assertEquals("00:00:01.000000001", Cells.text(LocalTime.ofNanoOfDay(1_000_000_001L), Table.Type.time(Table.Unit.NANO)));
        assertEquals(new BigInteger("9223372036854775809"), Cells.unsigned64(Long.MIN_VALUE + 1));
    }

    @Test
    void valuesConvertOnlyExactly() {
        assertEquals(3.0, Cells.convert(3L, Table.Type.INT64, Table.Type.FLOAT64));
        assertEquals(1.5, Cells.convert(1.5f, Table.Type.FLOAT32, Table.Type.FLOAT64));
        assertEquals(new BigDecimal("7.00"), Cells.convert(7L, Table.Type.INT64, Table.Type.decimal(10, 2)));
        assertEquals(200L, Cells.convert(200L, Table.Type.integer(8, false), Table.Type.integer(16, true)));
        assertEquals("x", Cells.convert("x", Table.Type.STRING.withDictionary(8), Table.Type.STRING));
        assertNull(Cells.convert(null, Table.Type.STRING, Table.Type.INT64));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert(1.5, Table.Type.FLOAT64, Table.Type.INT64));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert((1L << 53) + 1, Table.Type.INT64, Table.Type.FLOAT64));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert(200L, Table.Type.integer(16, false), Table.Type.integer(8, true)));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert(new BigDecimal("1.005"), Table.Type.decimal(5, 3), Table.Type.decimal(5, 2)));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert(0.1, Table.Type.FLOAT64, Table.Type.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> Cells.convert("1", Table.Type.STRING, Table.Type.INT64));
    }

    static Table table(List<Table.Column> columns, Object[]... rows) {
        return new Table(columns, new ArrayList<>(List.of(rows)));
    }

    @Test
    void defaultFeaturesAreNumericColumns_neverTextDictionaryTimeOrIndex() {
        Table parquet = table(List.of(new Table.Column("__index_level_0__", Table.Type.INT64),
                new Table.Column("id", Table.Type.INT64, true), new Table.Column("tenure", Table.Type.integer(8, false)),
                new Table.Column("segment", Table.Type.STRING.withDictionary(8)),
                new Table.Column("code", Table.Type.integer(8, true).withDictionary(8)),
                new Table.Column("note", Table.Type.STRING), new Table.Column("price", Table.Type.decimal(10, 2)),
                new Table.Column("when", Table.Type.timestamp(Table.Unit.MICRO, "UTC")),
                new Table.Column("ok", Table.Type.BOOLEAN), new Table.Column("x", Table.Type.floating(16))));
        assertArrayEquals(new int[]{2, 6, 9}, RowMapping.featureColumns(parquet, Map.of(), false),
                "a boolean (often the target) is a feature only when named");
        Table csv = table(List.of(new Table.Column("Unnamed: 0", Table.Type.STRING),
                        new Table.Column("a", Table.Type.STRING), new Table.Column("b", Table.Type.STRING),
                        new Table.Column("c", Table.Type.STRING)),
                new Object[]{"0", "1.5", "x", "NaN"}, new Object[]{"1", null, "2", "3"});
        assertArrayEquals(new int[]{1, 3}, RowMapping.featureColumns(csv, Map.of(), true));
        assertArrayEquals(new int[]{2, 1}, RowMapping.featureColumns(csv, Map.of("featureColumns", " b, a"), true));
        FileProblem p = assertThrows(FileProblem.class, () -> RowMapping.featureColumns(csv, Map.of("featureColumns", "z"), true));
        assertEquals("execution.missing_column", p.code);
    }

    @Test
    void aSchemaSurvivesJson_andAFileFitsItOnlyExactly() {
        OutputSchema schema = new OutputSchema(List.of(new Table.Column("a", Table.Type.FLOAT64),
                new Table.Column("when", Table.Type.timestamp(Table.Unit.NANO, "Europe/Paris")),
                new Table.Column("cat", Table.Type.STRING.withDictionary(16)),
                new Table.Column("i", Table.Type.INT64, true)), List.of("a"), "part-0.csv");
        OutputSchema read = Json.read(Json.write(schema), OutputSchema.class);
        assertEquals(schema, read);
        Table whole = table(List.of(new Table.Column("a", Table.Type.INT64),
                        new Table.Column("when", Table.Type.timestamp(Table.Unit.NANO, "Europe/Paris")),
                        new Table.Column("cat", Table.Type.STRING), new Table.Column("i", Table.Type.integer(32, true))),
                new Object[]{2L, Instant.EPOCH, "gold", 5L});
        Table fitted = schema.fit(whole, "part-1.csv");
        assertEquals(schema.columns(), fitted.columns());
        assertEquals(Arrays.asList(2.0, Instant.EPOCH, "gold", 5L), Arrays.asList(fitted.rows().get(0)));
        Table fraction = table(List.of(new Table.Column("a", Table.Type.FLOAT64),
                        new Table.Column("when", Table.Type.timestamp(Table.Unit.NANO, "Europe/Paris")),
                        new Table.Column("cat", Table.Type.STRING), new Table.Column("i", Table.Type.FLOAT64)),
                new Object[]{2.0, null, null, 1.5});
        FileProblem p = assertThrows(FileProblem.class, () -> schema.fit(fraction, "part-2.csv"));
        assertEquals("execution.schema_mismatch", p.code);
        assertTrue(p.getMessage().contains("\"i\"") && p.getMessage().contains("part-0.csv"), p.getMessage());
        Table renamed = table(List.of(new Table.Column("b", Table.Type.FLOAT64)));
        assertEquals("execution.schema_mismatch", assertThrows(FileProblem.class, () -> schema.fit(renamed, "x")).code);
    }
}
