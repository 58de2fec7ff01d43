package dev.sluice.core.job;

import dev.sluice.core.SluiceException;

/**
 * A query of a job's item log as the API takes it: the query parameters as the user sent them, each null when absent.
 * {@link JobService#logs} checks them (after the job is found, so another project's job is a 404 whatever the
 * parameters) in this order, each with a stable 400 code:
 * <ul>
 *   <li>{@code afterTime}, {@code beforeTime}: epoch milliseconds, integers ({@code request.bad_after_time},
 *       {@code request.bad_before_time}); default: every entry (-1 and {@code Long.MAX_VALUE / 2});</li>
 *   <li>{@code limit}, or its old name {@code maxEntries} (kept for one release; not both:
 *       {@code request.conflicting_parameters}): 1..{@value #MAX_ENTRIES} ({@code request.bad_max_entries} when not
 *       an integer, {@code logs.bad_max_entries} when out of range); default {@value #MAX_ENTRIES};</li>
 *   <li>{@code minLevel}: {@link LogEntry#INFO} (every entry, the default) or {@link LogEntry#ERROR}
 *       ({@code logs.bad_min_level});</li>
 *   <li>{@code page}: the {@code nextPage} cursor of the previous page, opaque (the store checks it).</li>
 * </ul>
 */
public record LogQuery(String afterTime, String beforeTime, String maxEntries, String minLevel, String page) {
    public static final int MAX_ENTRIES = 1000;
    /** Every entry, oldest first, a page of {@value #MAX_ENTRIES}. */
    public static final LogQuery ALL = new LogQuery(null, null, null, null, null);

    /** The query from an API request's query parameters (the names above; a null map is no parameter). */
    public static LogQuery of(java.util.Map<String, String> parameters) {
        java.util.Map<String, String> p = parameters == null ? java.util.Map.of() : parameters;
        if (p.get("limit") != null && p.get("maxEntries") != null) {
            throw SluiceException.invalid("request.conflicting_parameters",
                    "give limit or its old name maxEntries, not both");
        }
        String limit = p.get("limit") != null ? p.get("limit") : p.get("maxEntries");
        return new LogQuery(p.get("afterTime"), p.get("beforeTime"), limit, p.get("minLevel"), p.get("page"));
    }

    /** The checked query: what {@code JobStore.logs} takes. */
    record Checked(long afterTime, long beforeTime, boolean errorsOnly, int max, String page) {
    }

    Checked check() {
        long after = integer(afterTime, -1, "request.bad_after_time", "afterTime must be an integer (epoch milliseconds)");
        long before = integer(beforeTime, Long.MAX_VALUE / 2, "request.bad_before_time",
                "beforeTime must be an integer (epoch milliseconds)");
        long max = integer(maxEntries, MAX_ENTRIES, "request.bad_max_entries", "limit (or maxEntries) must be an integer");
        if (max < 1 || max > MAX_ENTRIES) {
            throw SluiceException.invalid("logs.bad_max_entries", "limit (or maxEntries) must be 1..1000");
        }
        if (minLevel != null && !minLevel.equals(LogEntry.INFO) && !minLevel.equals(LogEntry.ERROR)) {
            throw SluiceException.invalid("logs.bad_min_level", "minLevel must be Info or Error");
        }
        return new Checked(after, before, LogEntry.ERROR.equals(minLevel), (int) max, page);
    }

    private static long integer(String value, long fallback, String code, String message) {
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw SluiceException.invalid(code, message);
        }
    }
}
