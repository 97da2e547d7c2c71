package io.pharos.health.passive;

import io.pharos.health.EndpointId;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The decider on a virtual clock, with a control "thread" that runs posted tasks when the test says. */
class OutlierDetectorTest {
    private static final long SEC = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000 * SEC);
    private final Deque<Runnable> control = new ArrayDeque<>();
    private final List<String> verdicts = new ArrayList<>();
    private final OutlierDetector detector = OutlierDetector.create(clock::get, (Executor) control::add, new OutlierListener() {
        @Override
        public void onEjected(EndpointId id, String reason, Duration duration, int ejections) {
            verdicts.add("eject " + id + " " + reason + " for " + duration.toSeconds() + "s (#" + ejections + ")");
        }

        @Override
        public void onReturned(EndpointId id, String reason) {
            verdicts.add("return " + id + " " + reason);
        }
    });

    private static OutlierPolicy policy(int failures, int fiveXx, int maxPercent, int activeRise) {
        return new OutlierPolicy(failures, fiveXx, Duration.ofSeconds(30), Duration.ofSeconds(100), maxPercent, activeRise);
    }

    private OutlierStats stats(String backend) {
        return detector.stats(new EndpointId("app", backend));
    }

    private void runControl() {
        while (!control.isEmpty()) {
            control.poll().run();
        }
    }

    private void advanceSeconds(long s) {
        clock.addAndGet(s * SEC);
        detector.evaluate();
    }

    private void fail(OutlierStats s, int n) {
        for (int i = 0; i < n; i++) {
            s.onLocalFailure();
        }
    }

    @Test
    void consecutiveGatewayFailuresEjectThroughOnePostedEvaluation() {
        detector.setCluster("app", policy(5, 0, 100, 0), List.of("a", "b", "c"));
        OutlierStats a = stats("a");
        fail(a, 4);
        assertTrue(control.isEmpty(), "no evaluation below the threshold");
        a.onResponse(503);
        a.onResponse(502);
        a.onResponse(504);
        assertEquals(1, control.size(), "evaluations are deduplicated while one is pending");
        runControl();
        assertTrue(a.isEjected());
        // the reason gives the count the decider saw
        assertEquals(List.of("eject app/a 7 consecutive gateway failures for 30s (#1)"), verdicts);
        assertEquals(0, a.consecutiveGatewayFailures(), "counting starts over");
    }

    @Test
    void aSuccessResetsTheCount() {
        detector.setCluster("app", policy(3, 0, 100, 0), List.of("a", "b"));
        OutlierStats a = stats("a");
        fail(a, 2);
        a.onResponse(200);
        fail(a, 2);
        a.onResponse(404);
        fail(a, 2);
        runControl();
        detector.evaluate();
        assertFalse(a.isEjected());
        assertTrue(verdicts.isEmpty());
        // a 500 is not a gateway failure: it resets the gateway count; gateway failures are 5xx as well
        a.onResponse(500);
        assertEquals(0, a.consecutiveGatewayFailures());
        assertEquals(3, a.consecutive5xx());
        a.onResponse(200);
        assertEquals(0, a.consecutive5xx());
        // an L4 connect that worked ends both streaks too
        fail(a, 2);
        a.onSuccess();
        assertEquals(0, a.consecutiveGatewayFailures());
        assertEquals(0, a.consecutive5xx());
    }

    @Test
    void consecutive5xxEjectsWhenConfiguredAndCountsGatewayFailuresToo() {
        detector.setCluster("app", policy(0, 3, 100, 0), List.of("a", "b"));
        OutlierStats a = stats("a");
        a.onResponse(500);
        a.onLocalFailure();
        a.onResponse(501);
        runControl();
        assertEquals(List.of("eject app/a 3 consecutive 5xx for 30s (#1)"), verdicts);
        // with consecutive-failures = 0, gateway failures alone never eject by that rule
        OutlierStats b = stats("b");
        detector.setCluster("app", policy(0, 0, 100, 0), List.of("a", "b"));
        fail(b, 50);
        runControl();
        detector.evaluate();
        assertFalse(b.isEjected());
    }

    @Test
    void ejectionTimeGrowsWithEachEjectionAndIsCapped() {
        detector.setCluster("app", policy(2, 0, 100, 0), List.of("a", "b"));
        OutlierStats a = stats("a");
        long[] expected = {30, 60, 90, 100, 100};
        for (int i = 0; i < expected.length; i++) {
            fail(a, 2);
            runControl();
            assertTrue(a.isEjected(), "ejection " + (i + 1));
            advanceSeconds(expected[i] - 1);
            assertTrue(a.isEjected(), "still ejected 1s before the end of ejection " + (i + 1));
            fail(a, 10);
            runControl();
            advanceSeconds(1);
            assertFalse(a.isEjected(), "returned at the end of ejection " + (i + 1));
            assertEquals(0, a.consecutiveGatewayFailures(), "failures while ejected are forgotten");
        }
        assertEquals(List.of(
                "eject app/a 2 consecutive gateway failures for 30s (#1)", "return app/a ejection over",
                "eject app/a 2 consecutive gateway failures for 60s (#2)", "return app/a ejection over",
                "eject app/a 2 consecutive gateway failures for 90s (#3)", "return app/a ejection over",
                "eject app/a 2 consecutive gateway failures for 100s (#4)", "return app/a ejection over",
                "eject app/a 2 consecutive gateway failures for 100s (#5)", "return app/a ejection over"), verdicts);
    }

    @Test
    void maxEjectionPercentBoundsHowManyAreOutAtOnce() {
        detector.setCluster("app", policy(1, 0, 50, 0), List.of("a", "b", "c", "d"));
        for (String b : List.of("a", "b", "c")) {
            fail(stats(b), 1);
        }
        runControl();
        assertTrue(stats("a").isEjected());
        assertTrue(stats("b").isEjected());
        assertFalse(stats("c").isEjected(), "a third of four would exceed 50%");
        assertEquals(1, detector.skippedEjections());
        // when one returns there is room again, and c (still failing) goes
        advanceSeconds(30);
        assertFalse(stats("a").isEjected());
        assertFalse(stats("b").isEjected());
        assertTrue(stats("c").isEjected());
        assertEquals(List.of(
                "eject app/a 1 consecutive gateway failures for 30s (#1)",
                "eject app/b 1 consecutive gateway failures for 30s (#1)",
                "return app/a ejection over",
                "return app/b ejection over",
                "eject app/c 1 consecutive gateway failures for 30s (#1)"), verdicts);
    }

    @Test
    void aSingleBackendIsNeverEjectedBelowOneHundredPercent() {
        detector.setCluster("solo", new OutlierPolicy(1, 0, Duration.ofSeconds(30), Duration.ofSeconds(300), 99, 0), List.of("only"));
        OutlierStats only = detector.stats(new EndpointId("solo", "only"));
        fail(only, 5);
        runControl();
        assertFalse(only.isEjected());
        detector.setCluster("solo", new OutlierPolicy(1, 0, Duration.ofSeconds(30), Duration.ofSeconds(300), 100, 0), List.of("only"));
        fail(only, 1);
        runControl();
        assertTrue(only.isEjected());
    }

    @Test
    void withActiveChecksAnEjectedBackendReturnsOnlyAfterRisePassedChecks() {
        detector.setCluster("app", policy(1, 0, 100, 2), List.of("a", "b"));
        OutlierStats a = stats("a");
        a.onActiveCheck(true);
        a.onActiveCheck(true);
        fail(a, 1);
        runControl();
        assertTrue(a.isEjected());
        // checks passed before the ejection do not count
        advanceSeconds(30);
        assertTrue(a.isEjected(), "time is over but no active check passed since the ejection");
        a.onActiveCheck(true);
        runControl();
        assertTrue(a.isEjected(), "1 of 2");
        a.onActiveCheck(false);
        a.onActiveCheck(true);
        runControl();
        assertTrue(a.isEjected(), "a failed check restarts the count");
        a.onActiveCheck(true);
        assertEquals(1, control.size(), "a passed check of an ejected backend asks for an evaluation");
        runControl();
        assertFalse(a.isEjected());
        assertEquals(List.of(
                "eject app/a 1 consecutive gateway failures for 30s (#1)",
                "return app/a ejection over, 2 active checks passed"), verdicts);
    }

    @Test
    void withActiveChecksPassingDuringTheEjectionItReturnsRightOnTime() {
        detector.setCluster("app", policy(1, 0, 100, 2), List.of("a", "b"));
        OutlierStats a = stats("a");
        fail(a, 1);
        runControl();
        a.onActiveCheck(true);
        a.onActiveCheck(true);
        runControl();
        assertTrue(a.isEjected(), "passing checks do not shorten the ejection");
        advanceSeconds(29);
        assertTrue(a.isEjected());
        advanceSeconds(1);
        assertFalse(a.isEjected());
    }

    @Test
    void setClusterKeepsStatsOfKeptBackendsAndForgetsRemovedOnes() {
        detector.setCluster("app", policy(3, 0, 100, 0), List.of("a", "b"));
        OutlierStats a = stats("a");
        fail(a, 2);
        detector.setCluster("app", policy(3, 0, 100, 0), List.of("a", "c"));
        assertSame(a, stats("a"));
        assertEquals(2, a.consecutiveGatewayFailures());
        assertNull(stats("b"));
        assertNotNull(stats("c"));
        detector.removeCluster("app");
        assertNull(stats("a"));
        detector.evaluate();
        assertTrue(verdicts.isEmpty());
    }

    @Test
    void policyRejectsBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new OutlierPolicy(-1, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), 50, 0));
        assertThrows(IllegalArgumentException.class, () -> new OutlierPolicy(1, 0, Duration.ofSeconds(2), Duration.ofSeconds(1), 50, 0));
        assertThrows(IllegalArgumentException.class, () -> new OutlierPolicy(1, 0, Duration.ofSeconds(1), Duration.ofSeconds(1), 101, 0));
        assertThrows(IllegalArgumentException.class, () -> new OutlierPolicy(1, 0, Duration.ZERO, Duration.ofSeconds(1), 50, 0));
        assertEquals(Duration.ofSeconds(300), OutlierPolicy.defaults().ejectionTime(11));
        assertEquals(Duration.ofSeconds(30), OutlierPolicy.defaults().ejectionTime(1));
    }
}
