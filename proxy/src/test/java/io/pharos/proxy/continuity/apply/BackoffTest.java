package io.pharos.proxy.continuity.apply;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The pause between tries: doubling from the minimum, capped, jittered into its upper half. */
class BackoffTest {
    private static final long MIN = 100;
    private static final long MAX = 10_000;

    @Test
    void doublesUpToTheCapWithJitterInTheUpperHalf() {
        assertEquals(50, Backoff.delayNanos(1, MIN, MAX, 0));
        assertEquals(99, Backoff.delayNanos(1, MIN, MAX, 0.999));
        assertEquals(100, Backoff.delayNanos(2, MIN, MAX, 0));
        assertEquals(199, Backoff.delayNanos(2, MIN, MAX, 0.9999999));
        assertEquals(399, Backoff.delayNanos(3, MIN, MAX, 0.9999999));
        assertEquals(6399, Backoff.delayNanos(7, MIN, MAX, 0.9999999));
        assertEquals(9999, Backoff.delayNanos(8, MIN, MAX, 0.9999999), "12 800 capped");
        assertEquals(5_000, Backoff.delayNanos(8, MIN, MAX, 0));
        assertEquals(9999, Backoff.delayNanos(Integer.MAX_VALUE, MIN, MAX, 0.9999999), "no overflow");
        assertEquals(1L << 61, Backoff.delayNanos(100, 1, Long.MAX_VALUE, 0), "at most 62 doublings: no overflow at the top either");
    }

    @Test
    void refusesZeroFailures() {
        assertThrows(IllegalArgumentException.class, () -> Backoff.delayNanos(0, MIN, MAX, 0));
    }
}
