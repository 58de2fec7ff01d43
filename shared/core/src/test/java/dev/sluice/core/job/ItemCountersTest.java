package dev.sluice.core.job;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class ItemCountersTest {
    @Test
    void invariants_holdForAnExactJob_andNameTheFirstBrokenOne() {
        // 10 items: 1 bad line, 9 gathered; 1 not an image; 8 predicted; 7 delivered, 1 failed delivery
        ItemCounters exact = new ItemCounters(9, 1, 8, 1, 8, 0, 7, 1, 0);
        assertEquals(10, exact.terminal());
        assertNull(exact.violation(10));
        assertNotNull(exact.violation(11));
        ItemCounters doubleCounted = exact.plus(new ItemCounters(0, 0, 0, 0, 0, 0, 1, 0, 0));
        assertNotNull(doubleCounted.violation(10));
    }
}
