package dev.sluice.core.job;

/**
 * One item-level log entry, as the Datature JobLogEntry: kind (ItemGathered, ItemPredicted, ItemFailedGather …),
 * level, the item (its URL), its line index, the status it reached, the time it took and why it failed.
 */
public record LogEntry(String id, String kind, long createTime, String level, String item, Long index,
                       String status, Double timeMs, String reason) {
    public static final String INFO = "Info";
    public static final String ERROR = "Error";

    public static LogEntry info(String kind, long now, String item, long index, String status, double timeMs) {
        return new LogEntry(null, kind, now, INFO, item, index, status, timeMs, null);
    }

    public static LogEntry failure(String kind, long now, String item, long index, String status, String reason) {
        return new LogEntry(null, kind, now, ERROR, item, index, status, null, reason);
    }

    /**
     * Whether running the item again can change this failure's outcome ({@link FailureClass#of} of the reason's
     * code); null on an Info entry. Derived, never stored: a reclassification applies to old entries too.
     */
    @com.fasterxml.jackson.annotation.JsonProperty(value = "failureClass", access = com.fasterxml.jackson.annotation.JsonProperty.Access.READ_ONLY)
    public FailureClass failureClass() {
        return ERROR.equals(level) ? FailureClass.of(reason) : null;
    }

    public LogEntry withId(String newId) {
        return new LogEntry(newId, kind, createTime, level, item, index, status, timeMs, reason);
    }
}
