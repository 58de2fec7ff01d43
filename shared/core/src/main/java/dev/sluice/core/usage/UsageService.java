package dev.sluice.core.usage;

import dev.sluice.core.Clock;
import dev.sluice.core.SluiceException;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** {@code GET /usage}: a project's usage summed over a range of UTC days, from its daily sums ({@link UsageStore}). */
public final class UsageService {
    /** The days {@code GET /usage} sums when {@code from} is not given: the last 30, today included. */
    public static final int DEFAULT_DAYS = 30;

    private final UsageStore store;
    private final Clock clock;

    public UsageService(UsageStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /**
     * The answer of {@code GET /usage}.
     *
     * @param from  the first day summed (UTC, included)
     * @param to    the last day summed (UTC, included)
     * @param usage the sum of the usage of the project's jobs and executions that ended on those days
     */
    public record ProjectUsage(String object, String projectId, String from, String to, UsageReport usage) {
        public static final String OBJECT = "usage";
    }

    /**
     * The project's usage from {@code from} to {@code to} (ISO dates {@code YYYY-MM-DD}, UTC, both included; {@code to}
     * defaults to today, {@code from} to {@value #DEFAULT_DAYS} days before {@code to}, counting it).
     *
     * @throws SluiceException 400 {@code usage.bad_date} (not a date), {@code usage.bad_range} ({@code from} after
     *                         {@code to}, or more than {@link UsageStore#MAX_DAYS} days)
     */
    public ProjectUsage project(String projectId, String from, String to) {
        LocalDate last = to == null ? Instant.ofEpochMilli(clock.nowMillis()).atZone(ZoneOffset.UTC).toLocalDate() : day("to", to);
        LocalDate first = from == null ? last.minusDays(DEFAULT_DAYS - 1) : day("from", from);
        if (first.isAfter(last)) {
            throw SluiceException.invalid("usage.bad_range", "from (" + first + ") is after to (" + last + ")");
        }
        if (ChronoUnit.DAYS.between(first, last) + 1 > UsageStore.MAX_DAYS) {
            throw SluiceException.invalid("usage.bad_range", "from " + first + " to " + last + " is more than "
                    + UsageStore.MAX_DAYS + " days; ask for a shorter range");
        }
        return new ProjectUsage(ProjectUsage.OBJECT, projectId, first.toString(), last.toString(),
                UsageReport.of(store.project(projectId, first, last), UsageReport.deploymentRegion()));
    }

    private static LocalDate day(String parameter, String value) {
        try {
            return LocalDate.parse(value);
        } catch (DateTimeParseException e) {
            throw SluiceException.invalid("usage.bad_date", parameter + " must be a UTC date YYYY-MM-DD, is \""
                    + (value.length() > 40 ? value.substring(0, 40) + "…" : value) + "\"");
        }
    }
}
