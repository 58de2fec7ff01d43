package dev.sluice.aws.observe;

import dev.sluice.core.observe.LogKey;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One readable line per record, for a terminal: {@code 14:03:07.215 INFO  job 7f3c… started (job=… batch=…)}; a
 * throwable adds its class and message (not its stack). Same scrubbing as {@link JsonLogFormatter}.
 */
public final class TextLogFormatter extends Formatter {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(128);
        line.append(TIME.format(record.getInstant())).append(' ');
        String level = LogLines.level(record.getLevel());
        line.append(level).append(" ".repeat(Math.max(1, 6 - level.length())));
        line.append(LogLines.message(this, record));
        Map<LogKey, String> ids = LogLines.ids();
        ids.remove(LogKey.COLD_START);
        ids.remove(LogKey.SERVICE);
        ids.remove(LogKey.FUNCTION_REQUEST_ID);
        if (!ids.isEmpty()) {
            line.append(" (");
            boolean first = true;
            for (Map.Entry<LogKey, String> id : ids.entrySet()) {
                line.append(first ? "" : " ").append(id.getKey().key()).append('=').append(id.getValue());
                first = false;
            }
            line.append(')');
        }
        if (record.getThrown() != null) {
            line.append(": ").append(record.getThrown().getClass().getSimpleName()).append(": ")
                    .append(LogLines.scrub(record.getThrown().getMessage()));
        }
        return line.append('\n').toString();
    }
}
