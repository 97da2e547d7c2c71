package io.pharos.health.active;

import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link CheckSession} on an {@link EmbeddedChannel}'s loop: a frozen, virtual clock advanced by the test. */
class CheckSessionTest {
    private static final long MS = 1_000_000L;
    private static final EndpointId ID = new EndpointId("app", "app-1");
    private static final InetSocketAddress ADDRESS = new InetSocketAddress("127.0.0.1", 9);

    /** A probe answering from a script; a {@code null} entry never answers. Runs on the embedded loop. */
    static final class ScriptedProbe implements Probe {
        final Deque<ProbeResult> script = new ArrayDeque<>();
        ProbeResult otherwise = ProbeResult.OK;
        final List<Long> startTimes = new ArrayList<>();
        final List<Consumer<ProbeResult>> hanging = new ArrayList<>();
        int cancelled;

        @Override
        public Attempt start(EventLoop loop, InetSocketAddress address, Consumer<ProbeResult> callback) {
            startTimes.add(loop.ticker().nanoTime());
            ProbeResult r = script.isEmpty() ? otherwise : script.poll();
            if (r == null || r == HANG) {
                hanging.add(callback);
                return () -> cancelled++;
            }
            callback.accept(r);
            return () -> cancelled++;
        }
    }

    static final ProbeResult HANG = new ProbeResult(false, "hang");

    record Change(long atNanos, HealthState from, HealthState to, String reason) {
    }

    private EmbeddedChannel channel;
    private EventLoop loop;
    private long t0;
    private final List<Change> changes = new ArrayList<>();
    private final List<ProbeResult> results = new ArrayList<>();
    private CheckSession session;

    @BeforeEach
    void setUp() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        loop = channel.eventLoop();
        t0 = loop.ticker().nanoTime();
    }

    @AfterEach
    void tearDown() {
        if (session != null) {
            session.close();
        }
        channel.runPendingTasks();
        assertFalse(channel.finishAndReleaseAll());
    }

    private long now() {
        return loop.ticker().nanoTime() - t0;
    }

    private void advance(Duration d) {
        long end = d.toNanos() / MS;
        for (long i = 0; i < end; i++) {
            channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
            channel.runPendingTasks();
        }
    }

    private void startSession(CheckPolicy policy, Probe probe) {
        session = CheckSession.start(loop, ID, ADDRESS, policy, probe, new CheckListener() {
            @Override
            public void onStateChange(EndpointId id, HealthState from, HealthState to, String reason) {
                assertEquals(ID, id);
                changes.add(new Change(now(), from, to, reason));
            }

            @Override
            public void onCheck(EndpointId id, ProbeResult result, HealthState state) {
                results.add(result);
            }
        }, new SplittableRandom(7));
        channel.runPendingTasks();
    }

    private static CheckPolicy policy(long intervalMs, long fastMs, long timeoutMs, int rise, int fall, double jitter,
                                      CheckPolicy.Start start) {
        return new CheckPolicy(Duration.ofMillis(intervalMs), Duration.ofMillis(fastMs), Duration.ofMillis(timeoutMs),
                rise, fall, jitter, start);
    }

    @Test
    void failingBackendGoesDownWithinIntervalTimesFallPlusJitter() {
        ScriptedProbe probe = new ScriptedProbe();
        probe.otherwise = ProbeResult.failed("connect refused");
        startSession(policy(2000, 2000, 1000, 2, 3, 0.15, CheckPolicy.Start.OPTIMISTIC), probe);
        advance(Duration.ofSeconds(10));
        assertEquals(1, changes.size(), changes.toString());
        Change down = changes.get(0);
        assertEquals(HealthState.UNKNOWN, down.from());
        assertEquals(HealthState.UNHEALTHY, down.to());
        assertEquals("connect refused", down.reason());
        // first check within one interval, then two jittered intervals
        assertTrue(down.atNanos() <= 2000 * MS + 2 * 2300 * MS, "down at " + down.atNanos());
        assertTrue(down.atNanos() >= 2 * 1700 * MS, "down at " + down.atNanos());
        assertEquals(HealthState.UNHEALTHY, session.state());
        assertEquals("connect refused", session.lastResult().reason());
    }

    @Test
    void everyDelayBetweenChecksIsWithinTheJitterBand() {
        ScriptedProbe probe = new ScriptedProbe();
        startSession(policy(1000, 1000, 500, 2, 3, 0.2, CheckPolicy.Start.OPTIMISTIC), probe);
        advance(Duration.ofSeconds(60));
        assertTrue(probe.startTimes.size() >= 45, "checks: " + probe.startTimes.size());
        assertTrue(probe.startTimes.get(0) - t0 <= 1000 * MS, "first check at " + (probe.startTimes.get(0) - t0));
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 1; i < probe.startTimes.size(); i++) {
            long gap = probe.startTimes.get(i) - probe.startTimes.get(i - 1);
            // 1 ms of slack: the virtual clock moves in 1 ms steps
            assertTrue(gap >= 800 * MS && gap <= 1201 * MS, "gap " + gap);
            min = Math.min(min, gap);
            max = Math.max(max, gap);
        }
        assertTrue(max - min > 100 * MS, "jitter spreads checks: min " + min + " max " + max);
    }

    @Test
    void fastIntervalWhileChangingStateThenBackToInterval() {
        ScriptedProbe probe = new ScriptedProbe();
        probe.script.add(ProbeResult.OK);
        probe.script.add(ProbeResult.OK);
        probe.script.add(ProbeResult.failed("status 500"));
        probe.script.add(ProbeResult.failed("status 500"));
        probe.script.add(ProbeResult.failed("status 500"));
        probe.otherwise = ProbeResult.failed("status 500");
        startSession(policy(10_000, 1000, 500, 2, 3, 0.0, CheckPolicy.Start.OPTIMISTIC), probe);
        advance(Duration.ofSeconds(45));
        List<Long> t = probe.startTimes;
        // ok (changing toward healthy) -> fast; ok -> healthy, settled -> interval;
        // fail -> fast; fail -> fast; fail -> unhealthy, settled -> interval
        assertEquals(1000 * MS, t.get(1) - t.get(0));
        assertEquals(10_000 * MS, t.get(2) - t.get(1));
        assertEquals(1000 * MS, t.get(3) - t.get(2));
        assertEquals(1000 * MS, t.get(4) - t.get(3));
        assertEquals(10_000 * MS, t.get(5) - t.get(4));
        assertEquals(List.of(HealthState.HEALTHY, HealthState.UNHEALTHY), changes.stream().map(Change::to).toList());
        assertEquals("status 500", changes.get(1).reason());
        assertEquals(t.get(4) - t0, changes.get(1).atNanos());
    }

    @Test
    void checkWithoutAnswerTimesOutAndIsCancelled() {
        ScriptedProbe probe = new ScriptedProbe();
        probe.otherwise = HANG;
        startSession(policy(2000, 2000, 700, 1, 1, 0.0, CheckPolicy.Start.OPTIMISTIC), probe);
        while (probe.startTimes.isEmpty()) {
            advance(Duration.ofMillis(1));
        }
        long started = probe.startTimes.get(0) - t0;
        assertTrue(started <= 2000 * MS, "first check at " + started);
        advance(Duration.ofMillis(699));
        assertTrue(results.isEmpty());
        advance(Duration.ofMillis(1));
        assertEquals(1, results.size());
        assertEquals(ProbeResult.TIMEOUT, results.get(0));
        assertEquals(1, probe.cancelled);
        assertEquals(new Change(started + 700 * MS, HealthState.UNKNOWN, HealthState.UNHEALTHY, "timeout"), changes.get(0));
        // a late answer of the abandoned check is ignored
        probe.hanging.get(0).accept(ProbeResult.OK);
        assertEquals(1, results.size());
        assertEquals(HealthState.UNHEALTHY, session.state());
    }

    @Test
    void pessimisticBackendComesUpAfterRiseAndReportsTheFlip() {
        ScriptedProbe probe = new ScriptedProbe();
        startSession(policy(1000, 500, 300, 3, 2, 0.0, CheckPolicy.Start.PESSIMISTIC), probe);
        assertEquals(HealthState.UNHEALTHY, session.state());
        advance(Duration.ofMillis(1000 + 500 + 500));
        assertEquals(List.of(new Change(probe.startTimes.get(2) - t0, HealthState.UNHEALTHY, HealthState.HEALTHY, "ok")), changes);
        assertEquals(HealthState.HEALTHY, session.state());
    }

    @Test
    void closeStopsChecksAndAbandonsTheOneInProgress() {
        ScriptedProbe probe = new ScriptedProbe();
        probe.otherwise = HANG;
        startSession(policy(1000, 1000, 5000, 1, 1, 0.0, CheckPolicy.Start.OPTIMISTIC), probe);
        advance(Duration.ofMillis(1000));
        assertEquals(1, probe.startTimes.size());
        session.close();
        channel.runPendingTasks();
        assertEquals(1, probe.cancelled);
        advance(Duration.ofSeconds(10));
        assertEquals(1, probe.startTimes.size());
        assertTrue(results.isEmpty());
        probe.hanging.get(0).accept(ProbeResult.OK);
        assertTrue(results.isEmpty());
        assertNull(session.lastResult());
    }

    @Test
    void aProbeThatThrowsCountsAsAFailedCheck() {
        Probe broken = (l, a, cb) -> {
            throw new IllegalStateException("no route");
        };
        startSession(policy(1000, 1000, 500, 1, 1, 0.0, CheckPolicy.Start.OPTIMISTIC), broken);
        advance(Duration.ofMillis(2100));
        assertEquals("check not sent: no route", changes.get(0).reason());
        assertTrue(results.size() >= 2, "keeps checking: " + results.size());
    }
}
