package dev.sluice.execution;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rows of one file in memory: named, typed columns and one value array per row. Every file format reads into and
 * writes from this, so an execution can read CSV and write Parquet. A column's {@link Type} is its logical type as the
 * file declared it (Parquet logical type annotation, Arrow type); the Java class of a value is fixed by the type's
 * kind:
 * <ul>
 *   <li>INT: Long; a uint64 value above 2^63 − 1 is a BigInteger (exact)</li>
 *   <li>FLOAT: Float (16 and 32 bits), Double (64 bits)</li>
 *   <li>DECIMAL: BigDecimal with the type's scale</li>
 *   <li>BOOLEAN: Boolean; STRING: String; BINARY: byte[]</li>
 *   <li>DATE: LocalDate; TIME: LocalTime; TIMESTAMP: LocalDateTime without a zone, Instant with one</li>
 *   <li>NULL (a column of nulls only, Arrow's null type): always null</li>
 * </ul>
 * A null value is a missing value in every type. Text read from CSV is STRING, cell by cell as it was written.
 */
public record Table(List<Column> columns, List<Object[]> rows) {
    public enum Kind { INT, FLOAT, DECIMAL, BOOLEAN, STRING, BINARY, DATE, TIME, TIMESTAMP, NULL }

    /** The unit of TIME and TIMESTAMP values. */
    public enum Unit { SECOND, MILLI, MICRO, NANO }

    /**
     * A logical type. bits: INT 8/16/32/64, FLOAT 16/32/64, fixed-size BINARY its width in bytes (0: variable);
     * signed: INT only; precision/scale: DECIMAL; unit: TIME/TIMESTAMP; zone: TIMESTAMP's time zone (null: a local
     * date-time, "UTC" or a zone name: an instant); large: STRING/BINARY with 64-bit offsets (Arrow large_string);
     * dictionaryBits: 0, or the index width of a dictionary-encoded column (pandas categorical; values are decoded).
     */
    public record Type(Kind kind, int bits, boolean signed, int precision, int scale, Unit unit, String zone,
                       boolean large, int dictionaryBits) {
        public static final Type INT64 = integer(64, true);
        public static final Type FLOAT64 = floating(64);
        public static final Type FLOAT32 = floating(32);
        public static final Type STRING = of(Kind.STRING);
        public static final Type BOOLEAN = of(Kind.BOOLEAN);
        public static final Type BINARY = of(Kind.BINARY);
        public static final Type DATE = of(Kind.DATE);
        public static final Type NULL = of(Kind.NULL);

        public static Type of(Kind kind) {
            return new Type(kind, 0, false, 0, 0, null, null, false, 0);
        }

        public static Type integer(int bits, boolean signed) {
            return new Type(Kind.INT, bits, signed, 0, 0, null, null, false, 0);
        }

        public static Type floating(int bits) {
            return new Type(Kind.FLOAT, bits, false, 0, 0, null, null, false, 0);
        }

        public static Type decimal(int precision, int scale) {
            return new Type(Kind.DECIMAL, 0, false, precision, scale, null, null, false, 0);
        }

        public static Type time(Unit unit) {
            return new Type(Kind.TIME, 0, false, 0, 0, unit, null, false, 0);
        }

        public static Type timestamp(Unit unit, String zone) {
            return new Type(Kind.TIMESTAMP, 0, false, 0, 0, unit, zone, false, 0);
        }

        public static Type fixedBinary(int bytes) {
            return new Type(Kind.BINARY, bytes, false, 0, 0, null, null, false, 0);
        }

        public Type withLarge(boolean isLarge) {
            return new Type(kind, bits, signed, precision, scale, unit, zone, isLarge, dictionaryBits);
        }

        public Type withDictionary(int indexBits) {
            return new Type(kind, bits, signed, precision, scale, unit, zone, large, indexBits);
        }

        /**
         * Ints, floats and decimals: what a default feature column holds. A dictionary (categorical) never is one,
         * nor a boolean column (often the target, issue 21): a boolean is a feature only when named.
         */
        public boolean isNumeric() {
            return dictionaryBits == 0 && (kind == Kind.INT || kind == Kind.FLOAT || kind == Kind.DECIMAL);
        }

        /** The type as pyarrow prints it: int8, uint64, float, double, decimal128(10, 2), timestamp[us, tz=UTC] … */
        @Override
        public String toString() {
            String base = switch (kind) {
                case INT -> (signed ? "int" : "uint") + bits;
                case FLOAT -> bits == 16 ? "halffloat" : bits == 32 ? "float" : "double";
                case DECIMAL -> (precision > 38 ? "decimal256(" : "decimal128(") + precision + ", " + scale + ")";
                case BOOLEAN -> "bool";
                case STRING -> large ? "large_string" : "string";
                case BINARY -> bits > 0 ? "fixed_size_binary[" + bits + "]" : large ? "large_binary" : "binary";
                case DATE -> "date32[day]";
                case TIME -> (unit == Unit.SECOND || unit == Unit.MILLI ? "time32[" : "time64[") + unitName(unit) + "]";
                case TIMESTAMP -> "timestamp[" + unitName(unit) + (zone == null ? "" : ", tz=" + zone) + "]";
                case NULL -> "null";
            };
            return dictionaryBits == 0 ? base : "dictionary<values=" + base + ", indices=int" + dictionaryBits + ", ordered=0>";
        }

        private static String unitName(Unit unit) {
            return switch (unit) {
                case SECOND -> "s";
                case MILLI -> "ms";
                case MICRO -> "us";
                case NANO -> "ns";
            };
        }

        /** Parses the names {@link #toString()} gives for the plain types (int64, double, string, …), any case. */
        public static Type parse(String name) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            return switch (n) {
                case "int8", "int16", "int32", "int64" -> integer(Integer.parseInt(n.substring(3)), true);
                case "uint8", "uint16", "uint32", "uint64" -> integer(Integer.parseInt(n.substring(4)), false);
                case "float16", "halffloat" -> floating(16);
                case "float32", "float" -> FLOAT32;
                case "float64", "double" -> FLOAT64;
                case "bool", "boolean" -> BOOLEAN;
                case "string", "str", "text" -> STRING;
                case "binary" -> BINARY;
                case "date", "date32", "date32[day]" -> DATE;
                default -> {
                    var decimal = java.util.regex.Pattern.compile("decimal(?:128|256)?\\((\\d+), *(\\d+)\\)").matcher(n);
                    if (decimal.matches()) {
                        yield decimal(Integer.parseInt(decimal.group(1)), Integer.parseInt(decimal.group(2)));
                    }
                    var ts = java.util.regex.Pattern.compile("timestamp\\[(s|ms|us|ns)(?:, *tz=(.+))?]").matcher(name.trim());
                    if (ts.matches()) {
                        yield timestamp(unitOf(ts.group(1)), ts.group(2));
                    }
                    throw new IllegalArgumentException("unknown type \"" + name + "\"");
                }
            };
        }

        private static Unit unitOf(String s) {
            return switch (s) {
                case "s" -> Unit.SECOND;
                case "ms" -> Unit.MILLI;
                case "us" -> Unit.MICRO;
                default -> Unit.NANO;
            };
        }
    }

    /** index: the column is the writer's row index (pandas' index columns), kept but never a default feature. */
    public record Column(String name, Type type, boolean index) {
        public Column(String name, Type type) {
            this(name, type, false);
        }
    }

    public int columnIndex(String name) {
        for (int i = 0; i < columns.size(); i++) {
            if (columns.get(i).name().equals(name)) {
                return i;
            }
        }
        return -1;
    }

    /** This table with more columns, whose values each row gets from {@code values} (row index → values). */
    public Table append(List<Column> extra, java.util.function.IntFunction<Object[]> values) {
        List<Column> all = new ArrayList<>(columns);
        all.addAll(extra);
        List<Object[]> out = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            Object[] row = rows.get(r);
            Object[] more = values.apply(r);
            Object[] joined = new Object[row.length + extra.size()];
            System.arraycopy(row, 0, joined, 0, row.length);
            System.arraycopy(more, 0, joined, row.length, more.length);
            out.add(joined);
        }
        return new Table(List.copyOf(all), out);
    }
}
