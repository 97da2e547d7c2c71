package io.pharos.health.active;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JitterTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void extremesAreTheBounds() {
        assertEquals(850_000_000L, Jitter.apply(SECOND, 0.15, -1.0));
        assertEquals(1_150_000_000L, Jitter.apply(SECOND, 0.15, 1.0));
        assertEquals(SECOND, Jitter.apply(SECOND, 0.15, 0.0));
        assertEquals(SECOND, Jitter.apply(SECOND, 0.0, 1.0));
        assertEquals(SECOND / 2, Jitter.apply(SECOND, 0.5, -1.0));
    }

    @Test
    void randomDelaysStayWithinBoundsAndSpreadOverThem() {
        SplittableRandom random = new SplittableRandom(42);
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 10_000; i++) {
            long d = Jitter.apply(2 * SECOND, 0.15, random);
            assertTrue(d >= 1_700_000_000L && d <= 2_300_000_000L, "delay " + d);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        // the whole ±15% band is used, not just the middle
        assertTrue(min < 1_720_000_000L, "min " + min);
        assertTrue(max > 2_280_000_000L, "max " + max);
    }

    @Test
    void neverZero() {
        assertEquals(1, Jitter.apply(1, 0.5, -1.0));
    }

    @Test
    void jitterOutsideBoundsIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> Jitter.checkJitter(-0.01));
        assertThrows(IllegalArgumentException.class, () -> Jitter.checkJitter(0.51));
        assertThrows(IllegalArgumentException.class, () -> Jitter.checkJitter(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> new CheckPolicy(Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1, 1, 0.6, CheckPolicy.Start.OPTIMISTIC));
    }
}
