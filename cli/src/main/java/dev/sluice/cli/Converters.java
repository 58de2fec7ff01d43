package dev.sluice.cli;

import dev.sluice.core.deployment.DeploymentTarget;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Iterator;

/**
 * How option values are read, registered on every command ({@link Main#commandLine}): numbers refuse anything but
 * digits with {@code '<value>' is not a number} (the parameter handler prefixes the option's name), times take
 * ISO-8601 or epoch milliseconds, deployment targets their API names.
 */
final class Converters {
    private Converters() {
    }

    static void register(CommandLine cl) {
        cl.registerConverter(Integer.class, s -> (int) whole(s, Integer.MIN_VALUE, Integer.MAX_VALUE));
        cl.registerConverter(int.class, s -> (int) whole(s, Integer.MIN_VALUE, Integer.MAX_VALUE));
        cl.registerConverter(Long.class, s -> whole(s, Long.MIN_VALUE, Long.MAX_VALUE));
        cl.registerConverter(long.class, s -> whole(s, Long.MIN_VALUE, Long.MAX_VALUE));
        cl.registerConverter(DeploymentTarget.class, Converters::target);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
    }

    private static long whole(String s, long min, long max) {
        String t = s.trim();
        if (!t.matches("-?[0-9]+")) {
            throw new TypeConversionException("'" + s + "' is not a number");
        }
        try {
            long v = Long.parseLong(t);
            if (v < min || v > max) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + s + "' is out of range (" + min + ".." + max + ")");
        }
    }

    static DeploymentTarget target(String s) {
        for (DeploymentTarget t : DeploymentTarget.values()) {
            if (t.wire().equalsIgnoreCase(s.trim()) || t.name().equalsIgnoreCase(s.trim())) {
                return t;
            }
        }
        throw new TypeConversionException("'" + s + "' is not a target: " + DeploymentTarget.CHOICES);
    }

    /** The targets' API names, for help and shell completion. */
    static final class Targets implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(DeploymentTarget.values()).map(DeploymentTarget::wire).iterator();
        }
    }

    /**
     * A time for {@code --start-at}/{@code --stop-at}: epoch milliseconds (digits), or ISO-8601 with a zone
     * ({@code 2026-12-07T09:30:00Z}, {@code 2026-12-07T10:30:00+01:00}); a time without a zone is refused (whose 09:30?).
     */
    static final class EpochMillis implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String s) {
            String t = s.trim();
            if (t.matches("[0-9]+")) {
                return whole(t, 0, Long.MAX_VALUE);
            }
            try {
                return Instant.parse(t).toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // not the Z form: an offset or a region zone
            }
            try {
                return OffsetDateTime.parse(t).toInstant().toEpochMilli();
            } catch (DateTimeParseException ignored) {
                // a region zone, e.g. 2026-12-07T09:30:00+01:00[Europe/Paris]
            }
            try {
                return ZonedDateTime.parse(t, DateTimeFormatter.ISO_ZONED_DATE_TIME).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + s + "' is not a time: give ISO-8601 with a zone"
                        + " (2026-12-07T09:30:00Z) or epoch milliseconds");
            }
        }
    }
}
