package io.pharos.health.testing;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AwaitTest {
    @Test
    void untilReturnsOnceTheConditionHolds() throws Exception {
        AtomicInteger polls = new AtomicInteger();
        Await.until(Duration.ofSeconds(5), "three polls", () -> polls.incrementAndGet() >= 3);
        assertEquals(3, polls.get());
    }

    @Test
    void untilFailsNamingWhatWasAwaited() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until(Duration.ofMillis(30), "the backend to come up", () -> false));
        assertTrue(e.getMessage().contains("waiting for the backend to come up"), e.getMessage());
    }

    @Test
    void aThrowingConditionFailsNamingWhatWasAwaited() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.until(Duration.ofSeconds(5), "the admin API", () -> {
                    throw new IOException("connection refused");
                }));
        assertTrue(e.getMessage().contains("the admin API") && e.getMessage().contains("connection refused"), e.getMessage());
    }

    @Test
    void valueReturnsTheAcceptedValueAndReportsTheLastOneOnTimeout() throws Exception {
        AtomicInteger n = new AtomicInteger();
        assertEquals(4, Await.value(Duration.ofSeconds(5), "four", n::incrementAndGet, v -> v == 4));
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.value(Duration.ofMillis(30), "a negative number", () -> 7, v -> v < 0));
        assertTrue(e.getMessage().contains("a negative number") && e.getMessage().contains("last seen: 7"), e.getMessage());
    }

    @Test
    void withinAnswersInsteadOfFailing() throws Exception {
        assertTrue(Await.within(Duration.ofSeconds(5), () -> true));
        assertFalse(Await.within(Duration.ofMillis(30), () -> false));
    }

    @Test
    void steadyWaitsUntilACounterStopsChanging() throws Exception {
        AtomicInteger n = new AtomicInteger();
        long v = Await.steady(Duration.ofSeconds(10), Duration.ofMillis(100), "the counter",
                () -> n.get() < 5 ? n.incrementAndGet() : n.get());
        assertEquals(5, v);
        assertThrows(AssertionError.class,
                () -> Await.steady(Duration.ofMillis(100), Duration.ofMillis(50), "a moving counter", n::incrementAndGet));
    }
}
