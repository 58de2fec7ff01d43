package dev.sluice.execution;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * Values of {@link Table} cells: as text (CSV and NDJSON outputs), as a model feature, and converted exactly into
 * another column type (to fit an execution's schema). The text forms are README's type table.
 */
public final class Cells {
    /** A decimal number as pandas' and Python's float() accept it, without Java's suffixes (1f, 0x1p3, 1d). */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    /**
     * The spellings pandas reads as a missing value in a CSV cell by default: {@code pandas.read_csv}'s default
     * {@code na_values} (pandas/_libs/parsers.pyx, STR_NA_VALUES; pandas 2.x and 3.x). Matched exactly, as pandas
     * does ({@code " NA"} with its space is text).
     */
    public static final java.util.Set<String> MISSING_TEXT = java.util.Set.of("", "#N/A", "#N/A N/A", "#NA",
            "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None",
            "n/a", "nan", "null");

    private Cells() {
    }

    /** True for null and for CSV text that pandas reads as missing ({@link #MISSING_TEXT}). */
    public static boolean isMissing(Object value) {
        return value == null || value instanceof String s && MISSING_TEXT.contains(s);
    }

    /** True for CSV text that pandas reads as a boolean (True/False in any case; pandas' true_values/false_values). */
    public static boolean isBooleanText(String text) {
        String t = text.strip();
        return t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false");
    }

    /**
     * The number a value holds as pandas reads it into a float64 column: numbers (NaN and ±inf included), booleans
     * as 1/0, number text (also inf/infinity spellings); null when the value is missing ({@link #isMissing}) or is
     * not a number.
     */
    public static Double number(Object value) {
        return switch (value) {
            case null -> null;
            case Boolean b -> b ? 1.0 : 0.0;
            case Number n -> n.doubleValue();
            case String s when isMissing(s) -> null;
            case String s -> {
                String t = s.strip();
                if (NUMBER.matcher(t).matches()) {
                    yield Double.parseDouble(t);
                }
                if (isBooleanText(t)) {
                    yield t.equalsIgnoreCase("true") ? 1.0 : 0.0;
                }
                if (t.matches("(?i)[+-]?(inf|infinity)")) {
                    yield t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
                }
                yield null;
            }
            default -> null;
        };
    }

    /**
     * A value as a finite feature, or null when it is null, NaN, ±inf, not a number or of a non-numeric type
     * (dates, times, binary). Text must be a decimal number (surrounding spaces allowed) or true/false.
     */
    public static Double feature(Object value) {
        double d;
        switch (value) {
            case null -> {
                return null;
            }
            case Boolean b -> d = b ? 1 : 0;
            case Number n -> d = n.doubleValue();
            case String s -> {
                String t = s.strip();
                if (NUMBER.matcher(t).matches()) {
                    d = Double.parseDouble(t);
                } else if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
                    d = t.equalsIgnoreCase("true") ? 1 : 0;
                } else {
                    return null;
                }
            }
            default -> {
                return null;
            }
        }
        return Double.isFinite(d) ? d : null;
    }

    /** True when CSV text is a number (or a spelling of NaN/inf that pandas reads as one) or a boolean. */
    public static boolean isNumberText(String text) {
        String t = text.strip();
        return NUMBER.matcher(t).matches() || t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")
                || t.matches("(?i)[+-]?(nan|inf|infinity)");
    }

    /**
     * A value as text, for CSV: integers and decimals exactly (no exponent), floats as the shortest decimal that
     * reads back as the same float32 or float64 ({@link Float#toString}, {@link Double#toString}), binary as Base64,
     * dates and times as ISO-8601 with the digits of the unit (a space between date and time, and the offset for a
     * zoned timestamp, as pandas writes them).
     */
    public static String text(Object value, Table.Type type) {
        return switch (value) {
            case null -> null;
            case String s -> s;
            case BigDecimal d -> d.toPlainString();
            case Float f -> Float.toString(f);
            case Double d -> Double.toString(d);
            case byte[] b -> Base64.getEncoder().encodeToString(b);
            case LocalDate d -> d.toString();
            case LocalTime t -> time(t, type.unit());
            case LocalDateTime t -> t.toLocalDate() + " " + time(t.toLocalTime(), type.unit());
            case Instant i -> {
                var local = i.atZone(zone(type.zone()));
                String offset = local.getOffset().getId();
                yield local.toLocalDate() + " " + time(local.toLocalTime(), type.unit())
                        + ("Z".equals(offset) ? "+00:00" : offset);
            }
            default -> value.toString();
        };
    }

    static ZoneId zone(String zone) {
        if (zone == null) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneId.of(zone);
        } catch (RuntimeException e) {
            return ZoneOffset.UTC;
        }
    }

    private static String time(LocalTime t, Table.Unit unit) {
        String hms = String.format("%02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
        int nanos = t.getNano();
        if (nanos == 0 || unit == null || unit == Table.Unit.SECOND) {
            return hms;
        }
        String nine = String.format("%09d", nanos);
        return hms + "." + switch (unit) {
            case MILLI -> nine.substring(0, 3);
            case MICRO -> nine.substring(0, 6);
            default -> nine;
        };
    }

    /**
     * The value as a value of type {@code to}, exactly, or throws IllegalArgumentException saying why not. Null fits
     * every type; an integer fits a wider integer, a float64 (up to 2^53) or a decimal; a float32 fits a float64; a
     * decimal fits a decimal of the same scale and enough precision; every value of a type fits the same type (a
     * dictionary column and a plain one of the same values fit each other).
     */
    public static Object convert(Object value, Table.Type from, Table.Type to) {
        if (value == null || sameValues(from, to)) {
            return value;
        }
        switch (to.kind()) {
            case INT -> {
                BigInteger i = switch (value) {
                    case Long l -> BigInteger.valueOf(l);
                    case BigInteger b -> b;
                    default -> null;
                };
                if (i != null && fitsInt(i, to)) {
                    return i.bitLength() < 64 ? (Object) i.longValue() : i;
                }
            }
            case FLOAT -> {
                if (to.bits() == 64 && value instanceof Float f) {
                    return (double) f;
                }
                if (to.bits() == 64 && (value instanceof Long || value instanceof BigInteger)) {
                    double d = ((Number) value).doubleValue();
                    if (new BigDecimal(d).toBigIntegerExact().equals(value instanceof Long l ? BigInteger.valueOf(l)
                            : value)) {
                        return d;
                    }
                }
            }
            case DECIMAL -> {
                BigDecimal d = switch (value) {
                    case Long l -> BigDecimal.valueOf(l);
                    case BigInteger b -> new BigDecimal(b);
                    case BigDecimal b -> b;
                    default -> null;
                };
                if (d != null) {
                    try {
                        BigDecimal scaled = d.setScale(to.scale());
                        if (scaled.precision() <= to.precision()) {
                            return scaled;
                        }
                    } catch (ArithmeticException e) {
                        // more digits after the point than the scale holds
                    }
                }
            }
            default -> {
            }
        }
        throw new IllegalArgumentException("the value " + text(value, from) + " (" + from + ") is not exactly a " + to);
    }

    /** Types whose values have the same Java form and meaning (only a dictionary or offset width differs). */
    private static boolean sameValues(Table.Type a, Table.Type b) {
        return a.withLarge(false).withDictionary(0).equals(b.withLarge(false).withDictionary(0));
    }

    private static boolean fitsInt(BigInteger i, Table.Type to) {
        if (to.signed()) {
            return i.bitLength() < to.bits();
        }
        return i.signum() >= 0 && i.bitLength() <= to.bits();
    }

    /** A uint64 held in a long's bits (as Parquet and Arrow store it): a Long below 2^63, else a BigInteger. */
    public static Object unsigned64(long bits) {
        return bits >= 0 ? (Object) bits : BigInteger.valueOf(bits).add(TWO_64);
    }
}
