package dev.sluice.core;

import dev.sluice.core.job.JobState;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Issue 23 item 6: the listing filter's rules, and the key that binds a cursor to it. */
class ListFilterTest {
    static final Set<String> STATES = Set.of("Waiting", "Running", "Finished");

    @Test
    void everyFilter_mustMatch_timeBoundsAreExclusive() {
        ListFilter f = ListFilter.of(Map.of("status", "Running", "namePrefix", "nightly-", "metadata.team", "vision",
                "createdAfter", "100", "createdBefore", "200"), STATES);
        Map<String, String> team = Map.of("team", "vision", "other", "x");
        assertTrue(f.matches(JobState.Running, "nightly-1", team, 150));
        assertFalse(f.matches(JobState.Waiting, "nightly-1", team, 150), "status");
        assertFalse(f.matches(JobState.Running, "Nightly-1", team, 150), "a case-sensitive prefix");
        assertFalse(f.matches(JobState.Running, "nightly-1", Map.of("team", "Vision"), 150), "an exact value");
        assertFalse(f.matches(JobState.Running, "nightly-1", Map.of(), 150), "a missing key");
        assertFalse(f.matches(JobState.Running, "nightly-1", team, 100), "after is exclusive");
        assertFalse(f.matches(JobState.Running, "nightly-1", team, 200), "before is exclusive");
        assertTrue(ListFilter.NONE.matches(null, null, null, 0));
        assertTrue(ListFilter.of(Map.of("limit", "5", "page", "x"), STATES).isEmpty(), "paging is not a filter");
    }

    @Test
    void theKey_isEmptyWithoutAFilter_andDiffersForEveryFilter() {
        assertEquals("", ListFilter.NONE.key(), "unfiltered cursors stay what they were");
        String a = ListFilter.of(Map.of("metadata.team", "a"), STATES).key();
        assertEquals(a, ListFilter.of(Map.of("metadata.team", "a", "limit", "3"), STATES).key());
        assertNotEquals(a, ListFilter.of(Map.of("metadata.team", "b"), STATES).key());
        assertNotEquals(a, ListFilter.of(Map.of("metadata.tea", "ma"), STATES).key());
        assertNotEquals(a, ListFilter.of(Map.of("metadata.team", "a", "status", "Running"), STATES).key());
        assertTrue(a.matches("~f[0-9a-f]{20}"), a);
    }

    @Test
    void badFiltersAndBadMetadata_areRefusedWithCodes() {
        assertEquals("request.bad_status", code(() -> ListFilter.of(Map.of("status", "Done"), STATES)));
        assertEquals("request.bad_created_after", code(() -> ListFilter.of(Map.of("createdAfter", "x"), STATES)));
        assertEquals("request.bad_created_before", code(() -> ListFilter.of(Map.of("createdBefore", "1e3"), STATES)));
        assertEquals("request.bad_metadata_filter", code(() -> ListFilter.of(Map.of("metadata.", "x"), STATES)));
        assertEquals("metadata.bad_key", code(() -> Metadata.check(Map.of("k".repeat(65), "v"))));
        assertEquals("metadata.bad_value", code(() -> Metadata.check(Map.of("k", "\ud800"))));
        assertEquals(Map.of("a", "1", "b", "2"), Metadata.check(Map.of("b", "2", "a", "1")));
    }

    static String code(Runnable r) {
        return assertThrows(SluiceException.class, r::run).code();
    }
}
