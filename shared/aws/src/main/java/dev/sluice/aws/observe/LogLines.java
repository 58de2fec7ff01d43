package dev.sluice.aws.observe;

import dev.sluice.core.observe.LogKey;
import org.slf4j.MDC;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Pattern;

/** What both line formats share: level names, the ids of the MDC, and the scrubbing of URLs' query strings. */
final class LogLines {
    private LogLines() {
    }

    /**
     * A URL's query string (where a presigned URL keeps its signature and credential) is replaced by {@code ?…}
     * wherever it appears in a message or an exception's message: no presigned URL reaches a line whatever a caller
     * put in its message.
     */
    private static final Pattern QUERY = Pattern.compile("((?:https?|s3)://[^\\s?\"'<>]*)\\?[^\\s\"'<>]*");

    static String scrub(String text) {
        return text == null ? null : QUERY.matcher(text).replaceAll("$1?…");
    }

    /** SLF4J's level names for JUL's and JBoss LogManager's levels (by their int value). */
    static String level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARN";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        if (v >= 500) { // FINE, CONFIG, JBoss DEBUG
            return "DEBUG";
        }
        return "TRACE";
    }

    /**
     * The fixed keys the MDC holds now, in {@link LogKey} order. Handlers format synchronously on the thread that
     * logged, so the MDC read here is the one of the message being handled.
     */
    static Map<LogKey, String> ids() {
        Map<LogKey, String> ids = new LinkedHashMap<>();
        Map<String, String> mdc = MDC.getCopyOfContextMap();
        if (mdc == null || mdc.isEmpty()) {
            return ids;
        }
        for (LogKey key : LogKey.values()) {
            String v = mdc.get(key.key());
            if (v != null) {
                ids.put(key, v);
            }
        }
        return ids;
    }

    /** The record's message with its parameters applied ({@code {0}} style), scrubbed. */
    static String message(java.util.logging.Formatter formatter, LogRecord record) {
        return scrub(formatter.formatMessage(record));
    }
}
