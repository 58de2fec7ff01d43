package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.FileType;
import dev.sluice.execution.Table;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Random tables with every column type (and nulls, NaN, ±inf, extreme values, text with quotes, commas and line
 * breaks) written in each format and read back: every pass-through cell comes back as README's type table says (the
 * same value and type in Feather; the same value, with Parquet's type, in Parquet; its text in CSV; its JSON value in
 * NDJSON), and every numeric cell gives the same float32 feature.
 */
class RoundTripPropertyTest {
    static final List<Table.Type> TYPES = List.of(
            Table.Type.integer(8, true), Table.Type.integer(16, true), Table.Type.integer(32, true), Table.Type.INT64,
            Table.Type.integer(8, false), Table.Type.integer(16, false), Table.Type.integer(32, false),
            Table.Type.integer(64, false), Table.Type.floating(16), Table.Type.FLOAT32, Table.Type.FLOAT64,
            Table.Type.decimal(9, 2), Table.Type.decimal(18, 4), Table.Type.decimal(38, 10), Table.Type.decimal(50, 5),
            Table.Type.BOOLEAN, Table.Type.STRING, Table.Type.STRING.withLarge(true), Table.Type.BINARY,
            Table.Type.fixedBinary(4), Table.Type.DATE, Table.Type.time(Table.Unit.SECOND),
            Table.Type.time(Table.Unit.MILLI), Table.Type.time(Table.Unit.MICRO), Table.Type.time(Table.Unit.NANO),
            Table.Type.timestamp(Table.Unit.SECOND, null), Table.Type.timestamp(Table.Unit.MILLI, null),
            Table.Type.timestamp(Table.Unit.MICRO, "UTC"), Table.Type.timestamp(Table.Unit.NANO, "Asia/Kolkata"),
            Table.Type.STRING.withDictionary(8), Table.Type.STRING.withDictionary(16),
            Table.Type.STRING.withDictionary(32), Table.Type.NULL);

    @Property(tries = 60)
    void everyFormatKeepsEveryPassThroughCellAndFeature(@ForAll long seed) throws Exception {
        Random random = new Random(seed);
        Table table = randomTable(random);
        for (FileType format : FileType.values()) {
            Path file = Files.createTempFile("roundtrip", format.rename(".x"));
            try {
                new Tables().write(format, table, file);
                Table read = new Tables().read(format, file);
                assertEquals(table.rows().size(), read.rows().size(), format + " seed " + seed);
                if (format == FileType.NDJSON && table.rows().isEmpty()) {
                    continue; // an empty NDJSON file has no columns to compare
                }                for (int c = 0; c < table.columns().size(); c++) {
                    checkColumn(format, table, read, c, "seed " + seed + " " + format + " " + table.columns().get(c));
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }

    static void checkColumn(FileType format, Table written, Table read, int c, String where) {
        Table.Type type = written.columns().get(c).type();
        Table.Type readType = read.columns().get(c).type();
        assertEquals(written.columns().get(c).name(), read.columns().get(c).name(), where);
        switch (format) {
            case FEATHER -> assertEquals(type, readType, where);
            case PARQUET -> assertEquals(DifferentialTest.inParquet(type), readType.toString(), where);
            case CSV -> assertEquals(Table.Type.STRING, readType, where);
            case NDJSON -> {
            }
        }
        for (int r = 0; r < written.rows().size(); r++) {
            Object in = written.rows().get(r)[c];
            Object out = read.rows().get(r)[c];
            String at = where + " row " + r;
            switch (format) {
                case FEATHER, PARQUET -> assertTrue(same(in, out), at + ": " + in + " → " + out);
                case CSV -> assertEquals(Cells.text(in, type), out, at);
                case NDJSON -> checkJson(in, out, type, at);
            }
            if (type.isNumeric()) {
                Double a = Cells.feature(in);
                Double b = Cells.feature(out);
                assertEquals(a == null ? null : a.floatValue(), b == null ? null : b.floatValue(), at + " feature");
            }
        }
    }

    /** NDJSON: integers, booleans and text exactly; floats and decimals as the JSON number read back (a double). */
    static void checkJson(Object in, Object out, Table.Type type, String at) {
        switch (in) {
            case null -> assertEquals(null, out, at);
            case Float f -> assertEquals(Float.isFinite(f) ? Double.valueOf(Float.toString(f)) : null, out, at);
            case Double d -> assertEquals(Double.isFinite(d) ? d : null, out, at);
            case BigDecimal d -> assertEquals(d.doubleValue(), ((Number) out).doubleValue(), 0.0, at);
            case Long l -> assertEquals(l, ((Number) out).longValue(), at);
            case BigInteger b -> assertEquals(new BigDecimal(b), out, at);
            case Boolean b -> assertEquals(b, out, at);
            default -> assertEquals(Cells.text(in, type), out, at);
        }
    }

    static boolean same(Object a, Object b) {
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return Arrays.equals(x, y);
        }
        return Objects.equals(a, b);
    }

    static Table randomTable(Random random) {
        int columns = 1 + random.nextInt(8);
        List<Table.Column> cols = new ArrayList<>();
        for (int c = 0; c < columns; c++) {
            cols.add(new Table.Column("c" + c + (random.nextInt(5) == 0 ? " ü,\"x\"" : ""),
                    TYPES.get(random.nextInt(TYPES.size()))));
        }
        int n = random.nextInt(25);
        List<Object[]> rows = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            Object[] row = new Object[columns];
            for (int c = 0; c < columns; c++) {
                row[c] = random.nextInt(6) == 0 ? null : value(cols.get(c).type(), random);
            }
            rows.add(row);
        }
        return new Table(List.copyOf(cols), rows);
    }

    static Object value(Table.Type t, Random random) {
        boolean edge = random.nextInt(4) == 0;
        return switch (t.kind()) {
            case INT -> {
                BigInteger min = t.signed() ? BigInteger.ONE.shiftLeft(t.bits() - 1).negate() : BigInteger.ZERO;
                BigInteger max = (t.signed() ? BigInteger.ONE.shiftLeft(t.bits() - 1) : BigInteger.ONE.shiftLeft(t.bits()))
                        .subtract(BigInteger.ONE);
                BigInteger v = edge ? (random.nextBoolean() ? min : max)
                        : new BigInteger(t.bits(), random).mod(max.subtract(min).add(BigInteger.ONE)).add(min);
                yield v.bitLength() < 64 ? (Object) v.longValue() : v;
            }
            case FLOAT -> switch (t.bits()) {
                case 16 -> Float.float16ToFloat((short) random.nextInt(1 << 16));
                case 32 -> edge ? List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.MAX_VALUE, Float.MIN_VALUE, -0f)
                        .get(random.nextInt(5)) : (float) (random.nextGaussian() * Math.pow(10, random.nextInt(20) - 10));
                default -> edge ? List.of(Double.NaN, Double.NEGATIVE_INFINITY, Double.MAX_VALUE, 1e-300, 0.1)
                        .get(random.nextInt(5)) : random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
            };
            case DECIMAL -> new BigDecimal(new BigInteger(t.precision() * 3, random)
                    .mod(BigInteger.TEN.pow(t.precision())).multiply(BigInteger.valueOf(random.nextBoolean() ? 1 : -1)),
                    t.scale());
            case BOOLEAN -> random.nextBoolean();
            case STRING -> t.dictionaryBits() > 0 ? List.of("gold", "silver", "bronze").get(random.nextInt(3))
                    : List.of("00042", "a, \"quoted\"\r\nline", " spaced ", "ü€😀", "12345678901234567890", "NaN",
                    "x".repeat(1 + random.nextInt(50))).get(random.nextInt(7));
            case BINARY -> {
                byte[] b = new byte[t.bits() > 0 ? t.bits() : 1 + random.nextInt(10)];
                random.nextBytes(b);
                yield b;
            }
            case DATE -> LocalDate.ofEpochDay(random.nextInt(200_000) - 100_000);
            case TIME -> LocalTime.ofNanoOfDay(truncate(Math.floorMod(random.nextLong(), 86_400_000_000_000L), t.unit()));
            case TIMESTAMP -> {
                long nanos = truncate(random.nextLong() / 4, t.unit());
                Instant i = Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
                yield t.zone() == null ? LocalDateTime.ofInstant(i, ZoneOffset.UTC) : i;
            }
            case NULL -> null;
        };
    }

    static long truncate(long nanos, Table.Unit unit) {
        long per = ParquetFiles.nanosPer(unit);
        return Math.floorDiv(nanos, per) * per;
    }
}
