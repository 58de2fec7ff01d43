package dev.sluice.aws.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.observe.ContextExecutors;
import dev.sluice.core.observe.LogKey;
import dev.sluice.core.observe.LogScope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogLinesTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void clear() {
        MDC.clear();
    }

    static JsonNode line(String formatted) throws Exception {
        assertTrue(formatted.endsWith("\n") && formatted.indexOf('\n') == formatted.length() - 1, "one line: " + formatted);
        return JSON.readTree(formatted);
    }

    @Test
    void jsonLine_hasTheFixedKeys_typedIds_andTheErrorOfItsThrowable() throws Exception {
        LogRecord record = new LogRecord(Level.WARNING, "batch {0} failed\nwith \"quotes\"");
        record.setParameters(new Object[]{"b-1"});
        record.setLoggerName("dev.sluice.Test");
        record.setThrown(new IllegalStateException("boom"));
        JsonNode line;
        try (LogScope scope = LogScope.of(LogKey.JOB_ID, "job_1").and(LogKey.ITEM_INDEX, 42L).and(LogKey.COLD_START, true)
                .and(LogKey.PROJECT_ID, null)) {
            line = line(new JsonLogFormatter("inference").format(record));
        }
        assertEquals(List.of("time", "level", "service", "message", "cold_start", "job_id", "item_index", "logger", "error"),
                fieldNames(line));
        assertEquals("WARN", line.get("level").asText());
        assertEquals("inference", line.get("service").asText());
        assertEquals("batch b-1 failed\nwith \"quotes\"", line.get("message").asText());
        assertTrue(line.get("cold_start").isBoolean() && line.get("cold_start").asBoolean());
        assertTrue(line.get("item_index").isIntegralNumber());
        assertEquals(42, line.get("item_index").asLong());
        assertEquals("java.lang.IllegalStateException", line.at("/error/type").asText());
        assertTrue(line.at("/error/stack").asText().contains("LogLinesTest"));
        assertTrue(java.time.Instant.parse(line.get("time").asText()).toEpochMilli() > 0);
    }

    @Test
    void aLineOfANamedFunction_namesItAsItsService_inPlaceOfTheProcesss() throws Exception {
        LogRecord record = new LogRecord(Level.INFO, "batch done");
        try (LogScope scope = LogScope.of(LogKey.SERVICE, "fanout").and(LogKey.JOB_ID, "job_1")) {
            JsonNode line = line(new JsonLogFormatter("local").format(record));
            assertEquals("fanout", line.get("service").asText());
            assertEquals(List.of("time", "level", "service", "message", "job_id"), fieldNames(line));
            assertFalse(new TextLogFormatter().format(record).contains("service="), "the text line stays short");
        }
        assertEquals("local", line(new JsonLogFormatter("local").format(record)).get("service").asText());
    }

    @Test
    void presignedUrls_loseTheirQueryString_inMessagesAndErrors() throws Exception {
        String presigned = "https://bucket.s3.amazonaws.com/key.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE"
                + "%2F20261207&X-Amz-Signature=deadbeef";
        LogRecord record = new LogRecord(Level.INFO, "fetching " + presigned + " now");
        record.setThrown(new RuntimeException("GET " + presigned + " answered 403"));
        for (String formatted : List.of(new JsonLogFormatter("api").format(record), new TextLogFormatter().format(record))) {
            assertFalse(formatted.contains("X-Amz-Signature") || formatted.contains("AKIAEXAMPLE") || formatted.contains("deadbeef"),
                    formatted);
            assertTrue(formatted.contains("https://bucket.s3.amazonaws.com/key.jpg?…"), formatted);
        }
    }

    @Test
    void scopes_nest_andRestoreWhatTheKeyHeldBefore() {
        try (LogScope outer = LogScope.of(LogKey.JOB_ID, "job_1").and(LogKey.REQUEST_ID, "r1")) {
            try (LogScope inner = LogScope.of(LogKey.JOB_ID, "job_2").and(LogKey.BATCH_ID, "b")) {
                assertEquals("job_2", MDC.get("job_id"));
                assertEquals("r1", MDC.get("request_id"));
            }
            assertEquals("job_1", MDC.get("job_id"));
            assertNull(MDC.get("batch_id"));
        }
        assertNull(MDC.get("job_id"));
        assertNull(MDC.get("request_id"));
    }

    @Test
    void workerTasks_carryTheSubmittersIds_andNeverThoseOfAnEarlierTask() throws Exception {
        // one pooled thread: the second task runs on the thread the first one used
        ExecutorService pool = ContextExecutors.carryingContext(Executors.newSingleThreadExecutor());
        try {
            List<String> seen = new ArrayList<>();
            Future<?> first;
            try (LogScope scope = LogScope.of(LogKey.JOB_ID, "job_1").and(LogKey.BATCH_ID, "b1")) {
                first = pool.submit(() -> seen.add(MDC.get("job_id") + "/" + MDC.get("batch_id")));
            }
            first.get();
            pool.submit(() -> seen.add(MDC.get("job_id") + "/" + MDC.get("batch_id"))).get();
            assertEquals(List.of("job_1/b1", "null/null"), seen);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void textLine_isOneReadableLine_withTheIdsItHolds() {
        LogRecord record = new LogRecord(Level.INFO, "job finished");
        String formatted;
        try (LogScope scope = LogScope.of(LogKey.JOB_ID, "job_1").and(LogKey.FUNCTION_REQUEST_ID, "abc")) {
            formatted = new TextLogFormatter().format(record);
        }
        assertTrue(formatted.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  job finished \\(job_id=job_1\\)\n"), formatted);
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
