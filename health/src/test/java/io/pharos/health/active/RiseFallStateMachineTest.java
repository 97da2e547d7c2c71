package io.pharos.health.active;

import io.pharos.health.HealthState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RiseFallStateMachineTest {

    @Test
    void optimisticStartStaysUnknownUntilFallConsecutiveFailures() {
        RiseFallStateMachine m = new RiseFallStateMachine(2, 3, CheckPolicy.Start.OPTIMISTIC, 0);
        assertEquals(HealthState.UNKNOWN, m.state());
        assertTrue(m.state().acceptsTraffic());
        assertNull(m.record(false, 10));
        assertNull(m.record(false, 20));
        assertTrue(m.isChanging());
        assertEquals(HealthState.UNKNOWN, m.record(false, 30));
        assertEquals(HealthState.UNHEALTHY, m.state());
        assertEquals(30, m.changedAtNanos());
        assertFalse(m.isChanging());
    }

    @Test
    void unknownBecomesHealthyAfterRiseSuccesses() {
        RiseFallStateMachine m = new RiseFallStateMachine(2, 3, CheckPolicy.Start.OPTIMISTIC, 0);
        assertNull(m.record(true, 1));
        assertTrue(m.isChanging());
        assertEquals(HealthState.UNKNOWN, m.record(true, 2));
        assertEquals(HealthState.HEALTHY, m.state());
        assertFalse(m.isChanging());
    }

    @Test
    void pessimisticStartNeedsRiseSuccesses() {
        RiseFallStateMachine m = new RiseFallStateMachine(3, 2, CheckPolicy.Start.PESSIMISTIC, 0);
        assertEquals(HealthState.UNHEALTHY, m.state());
        assertFalse(m.state().acceptsTraffic());
        assertNull(m.record(true, 1));
        assertNull(m.record(true, 2));
        assertEquals(HealthState.UNHEALTHY, m.record(true, 3));
        assertEquals(HealthState.HEALTHY, m.state());
    }

    @Test
    void aResultOfTheOtherKindResetsTheStreak() {
        RiseFallStateMachine m = new RiseFallStateMachine(2, 3, CheckPolicy.Start.OPTIMISTIC, 0);
        m.record(true, 0);
        m.record(true, 0);
        assertEquals(HealthState.HEALTHY, m.state());
        m.record(false, 1);
        m.record(false, 2);
        assertEquals(2, m.failureStreak());
        m.record(true, 3);
        assertEquals(0, m.failureStreak());
        assertFalse(m.isChanging());
        assertNull(m.record(false, 4));
        assertNull(m.record(false, 5));
        assertEquals(HealthState.HEALTHY, m.state());
        assertEquals(HealthState.HEALTHY, m.record(false, 6));
        assertEquals(HealthState.UNHEALTHY, m.state());
        // back up: a failure in the middle restarts the count toward rise
        m.record(true, 7);
        m.record(false, 8);
        assertNull(m.record(true, 9));
        assertEquals(HealthState.UNHEALTHY, m.record(true, 10));
        assertEquals(HealthState.HEALTHY, m.state());
    }

    @Test
    void settledStatesIgnoreRepeatedResults() {
        RiseFallStateMachine m = new RiseFallStateMachine(1, 1, CheckPolicy.Start.OPTIMISTIC, 0);
        assertEquals(HealthState.UNKNOWN, m.record(true, 1));
        for (int i = 0; i < 5; i++) {
            assertNull(m.record(true, 2 + i));
            assertFalse(m.isChanging());
        }
        assertEquals(HealthState.HEALTHY, m.record(false, 10));
        assertNull(m.record(false, 11));
        assertEquals(HealthState.UNHEALTHY, m.state());
    }

    @Test
    void rejectsNonPositiveRiseAndFall() {
        assertThrows(IllegalArgumentException.class, () -> new RiseFallStateMachine(0, 1, CheckPolicy.Start.OPTIMISTIC, 0));
        assertThrows(IllegalArgumentException.class, () -> new RiseFallStateMachine(1, 0, CheckPolicy.Start.OPTIMISTIC, 0));
    }
}
