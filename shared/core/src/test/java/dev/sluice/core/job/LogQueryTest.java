package dev.sluice.core.job;

import dev.sluice.core.SluiceException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A job log query's parameters: defaults, and a stable 400 code for each bad parameter, checked in order. */
class LogQueryTest {
    static String refusal(Map<String, String> parameters) {
        SluiceException e = assertThrows(SluiceException.class, () -> LogQuery.of(parameters).check(), parameters::toString);
        assertEquals(SluiceException.Kind.INVALID, e.kind());
        return e.code();
    }

    @Test
    void noParameters_meanEveryEntry_aPageOfAThousand() {
        assertEquals(new LogQuery.Checked(-1, Long.MAX_VALUE / 2, false, 1000, null), LogQuery.of(null).check());
        assertEquals(LogQuery.ALL.check(), LogQuery.of(Map.of("afterTime", " ", "maxEntries", "")).check());
        assertEquals(new LogQuery.Checked(5, 9, true, 1, "cursor"), LogQuery.of(Map.of("afterTime", "5", "beforeTime", "9",
                "maxEntries", "1", "minLevel", "Error", "page", "cursor")).check());
        assertEquals(false, LogQuery.of(Map.of("minLevel", "Info")).check().errorsOnly());
    }

    @Test
    void eachBadParameter_hasItsCode_theFirstInOrderWins() {
        assertEquals("request.bad_after_time", refusal(Map.of("afterTime", "yesterday")));
        assertEquals("request.bad_before_time", refusal(Map.of("beforeTime", "1e3")));
        assertEquals("request.bad_max_entries", refusal(Map.of("maxEntries", "ten")));
        assertEquals("logs.bad_max_entries", refusal(Map.of("maxEntries", "0")));
        assertEquals("logs.bad_max_entries", refusal(Map.of("maxEntries", "1001")));
        assertEquals("logs.bad_min_level", refusal(Map.of("minLevel", "error")));
        assertEquals("request.bad_after_time", refusal(Map.of("afterTime", "x", "beforeTime", "x", "minLevel", "Debug")));
        assertEquals("logs.bad_max_entries", refusal(Map.of("maxEntries", "-1", "minLevel", "Debug")));
    }
}
