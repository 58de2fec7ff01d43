package dev.sluice.aws.observe;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.sluice.core.observe.LogKey;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One JSON object per line, with the keys of AWS Powertools for Lambda's logger: {@code time} (ISO-8601 UTC),
 * {@code level} (ERROR, WARN, INFO, DEBUG, TRACE), {@code service}, {@code message}, then those of the
 * {@link LogKey}s the MDC holds ({@code cold_start} a boolean, {@code item_index} a number, the others strings),
 * {@code logger}, and for a record with a throwable {@code error}: {@code {"type", "message", "stack"}} (the stack as
 * one string). Messages and exception messages have URLs' query strings removed ({@link LogLines#scrub}). Written with
 * Jackson's streaming generator, so every line is valid JSON whatever a message holds.
 */
public final class JsonLogFormatter extends Formatter {
    private static final JsonFactory JSON = new JsonFactory();
    private final String service;

    /**
     * @param service the {@code service} of every line (the function's name: api, inference, gpu-worker, local), but
     *                a line whose MDC names its function ({@link LogKey#SERVICE}: a function of {@code sluice local})
     */
    public JsonLogFormatter(String service) {
        this.service = service;
    }

    @Override
    public String format(LogRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", Instant.ofEpochMilli(record.getMillis()).toString());
            g.writeStringField("level", LogLines.level(record.getLevel()));
            Map<LogKey, String> ids = LogLines.ids();
            String function = ids.remove(LogKey.SERVICE);
            g.writeStringField("service", function != null ? function : service);
            g.writeStringField("message", LogLines.message(this, record));
            for (Map.Entry<LogKey, String> id : ids.entrySet()) {
                String key = id.getKey().key();
                String value = id.getValue();
                switch (id.getKey()) {
                    case COLD_START -> g.writeBooleanField(key, Boolean.parseBoolean(value));
                    case ITEM_INDEX -> {
                        try {
                            g.writeNumberField(key, Long.parseLong(value));
                        } catch (NumberFormatException e) {
                            g.writeStringField(key, value);
                        }
                    }
                    default -> g.writeStringField(key, value);
                }
            }
            if (record.getLoggerName() != null) {
                g.writeStringField("logger", record.getLoggerName());
            }
            Throwable t = record.getThrown();
            if (t != null) {
                g.writeObjectFieldStart("error");
                g.writeStringField("type", t.getClass().getName());
                g.writeStringField("message", LogLines.scrub(t.getMessage()));
                g.writeStringField("stack", LogLines.scrub(stack(t)));
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }

    private static String stack(Throwable t) {
        StringWriter s = new StringWriter();
        t.printStackTrace(new java.io.PrintWriter(s));
        return s.toString();
    }
}
