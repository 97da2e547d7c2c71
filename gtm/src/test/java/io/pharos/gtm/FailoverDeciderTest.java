package io.pharos.gtm;

import io.pharos.gtm.FailoverDecider.ProxyView;
import io.pharos.gtm.FailoverDecider.RefusedException;
import io.pharos.gtm.FailoverDecider.Status;
import io.pharos.gtm.GtmConfig.Failback;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The decision state machine on a virtual clock: {@code now} only moves when the test moves it. */
class FailoverDeciderTest {
    private static final long INTERVAL = 2_000;
    private static final long MIN_HOLD = 60_000;
    private long now = 1_000_000;

    private FailoverDecider decider(Failback failback) {
        FailoverDecider d = new FailoverDecider(List.of("primary", "secondary", "tertiary"), 3, 5, MIN_HOLD, failback, 1_000);
        d.adopt(now, "primary", 7);
        return d;
    }

    /** One round for every region; returns what the decider wanted after it. */
    private Optional<Decision> round(FailoverDecider d, boolean primary, boolean secondary, boolean tertiary) {
        now += INTERVAL;
        d.onProbeRound(now, "primary", primary, primary ? "status 200" : "connect refused");
        d.onProbeRound(now, "secondary", secondary, secondary ? "status 200" : "connect refused");
        d.onProbeRound(now, "tertiary", tertiary, tertiary ? "status 200" : "timeout");
        return d.evaluate(now);
    }

    @Test
    void failsOverAfterExactlyNConsecutiveFailedRounds() {
        FailoverDecider d = decider(Failback.MANUAL);
        assertTrue(round(d, true, true, true).isEmpty());
        assertTrue(round(d, false, true, true).isEmpty());
        assertTrue(round(d, false, true, true).isEmpty());
        Decision s = round(d, false, true, true).orElseThrow();
        assertEquals(Decision.Kind.SWITCH, s.kind());
        assertEquals("primary", s.from());
        assertEquals("secondary", s.to());
        assertTrue(s.reason().contains("3 consecutive failed rounds (connect refused)"), s.reason());
        assertEquals(Optional.of("secondary"), d.pending());
        assertTrue(round(d, false, true, true).isEmpty(), "no second switch while one is in flight");
        d.switched(now, "secondary", 8);
        assertEquals(Optional.of("secondary"), d.active());
        assertEquals(8, d.epoch());
        assertTrue(round(d, false, true, true).isEmpty());
    }

    @Test
    void aSuccessInBetweenResetsTheFailureCount() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        round(d, false, true, true);
        round(d, false, true, true);
        assertTrue(round(d, true, true, true).isEmpty());
        round(d, false, true, true);
        assertTrue(round(d, false, true, true).isEmpty());
        assertTrue(round(d, false, true, true).isPresent());
    }

    @Test
    void failsOverToTheHighestPriorityHealthyRegionOnly() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        round(d, false, false, true);
        round(d, false, false, true);
        Decision s = round(d, false, false, true).orElseThrow();
        assertEquals("tertiary", s.to(), "secondary is failing too");
    }

    @Test
    void aRegionThatFailedItsLastRoundIsNoTarget() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, false);
        round(d, false, true, false);
        round(d, false, true, false);
        now += INTERVAL;
        d.onProbeRound(now, "primary", false, "connect refused");
        d.onProbeRound(now, "secondary", false, "timeout");
        assertTrue(d.evaluate(now).isEmpty() || d.alert().isPresent());
        assertNotEquals(Optional.of("secondary"), d.pending());
    }

    @Test
    void allDownKeepsTheAnswerAndAlertsOnceThenClears() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        round(d, false, false, false);
        round(d, false, false, false);
        Decision alert = round(d, false, false, false).orElseThrow();
        assertEquals(Decision.Kind.ALERT, alert.kind());
        assertEquals("primary", alert.to(), "the answer is kept");
        assertTrue(d.alert().orElseThrow().startsWith("every region is down; keeping primary"));
        assertTrue(round(d, false, false, false).isEmpty(), "alerted once");
        assertEquals(Optional.of("primary"), d.active());
        assertTrue(d.pending().isEmpty(), "nothing is written to DNS");
        for (int i = 0; i < 4; i++) {
            assertTrue(round(d, false, true, false).isEmpty(), "secondary not up before M good rounds");
        }
        Decision s = round(d, false, true, false).orElseThrow();
        assertEquals(Decision.Kind.SWITCH, s.kind(), "a region back up is switched to");
        assertEquals("secondary", s.to());
        assertTrue(d.alert().isEmpty());
    }

    @Test
    void allDownAlertClearsWhenTheActiveRegionRecovers() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        for (int i = 0; i < 3; i++) {
            round(d, false, false, false);
        }
        assertTrue(d.alert().isPresent());
        for (int i = 0; i < 4; i++) {
            assertTrue(round(d, true, false, false).isEmpty(), "primary not up before M good rounds");
        }
        Decision clear = round(d, true, false, false).orElseThrow();
        assertEquals(Decision.Kind.CLEAR, clear.kind());
        assertTrue(d.alert().isEmpty());
    }

    @Test
    void clusterDownEventAsksForFastProbesButIsNoVerdict() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        d.onHeartbeatAge("primary", 50);
        assertFalse(d.wantsFastProbe("primary"));
        d.onProxyClusterEvent("primary", true);
        assertEquals(ProxyView.DOWN, d.region("primary").proxyView);
        assertTrue(d.wantsFastProbe("primary"));
        assertTrue(d.evaluate(now).isEmpty(), "the event alone switches nothing");
        assertTrue(round(d, true, true, true).isEmpty(), "probes say it is fine: no switch");
        d.onProxyClusterEvent("primary", false);
        assertFalse(d.wantsFastProbe("primary"));
    }

    @Test
    void staleHeartbeatMakesTheProxyViewUnknownNotDown() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        d.onHeartbeatAge("primary", 50);
        d.onProxyClusterEvent("primary", true);
        d.onHeartbeatAge("primary", 5_000);
        assertEquals(ProxyView.UNKNOWN, d.region("primary").proxyView);
        assertFalse(d.wantsFastProbe("primary"), "signals of a silent proxy are ignored");
        for (int i = 0; i < 10; i++) {
            assertTrue(round(d, true, true, true).isEmpty(), "a dead proxy is not a dead region");
        }
        assertEquals(Status.UP, d.region("primary").status);
        d.onHeartbeatAge("primary", -1);
        assertEquals(ProxyView.UNKNOWN, d.region("primary").proxyView);
    }

    @Test
    void failuresBeforeTheThresholdAskForFastProbes() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        assertFalse(d.wantsFastProbe("primary"));
        round(d, false, true, true);
        assertTrue(d.wantsFastProbe("primary"));
    }

    @Test
    void manualFailbackNeverHappensByItself() throws Exception {
        FailoverDecider d = decider(Failback.MANUAL);
        failOverToSecondary(d);
        for (int i = 0; i < 100; i++) {
            assertTrue(round(d, true, true, true).isEmpty());
        }
        Decision back = d.requestFailback(now);
        assertEquals("primary", back.to());
        assertEquals("manual failback requested", back.reason());
        d.switched(now, "primary", 9);
        assertEquals(Optional.of("primary"), d.active());
    }

    @Test
    void manualFailbackIsNotVetoedByOneFailedRoundOfAnUpRegion() throws Exception {
        FailoverDecider d = decider(Failback.MANUAL);
        failOverToSecondary(d);
        for (int i = 0; i < 5; i++) {
            round(d, true, true, true);
        }
        round(d, false, true, true);
        assertEquals(Status.UP, d.region("primary").status);
        assertEquals("primary", d.requestFailback(now).to());
    }

    @Test
    void autoFailbackWaitsForMSuccessesAndMinHold() {
        FailoverDecider d = decider(Failback.AUTO);
        failOverToSecondary(d);
        long switchedAt = now;
        int rounds = 0;
        Optional<Decision> back = Optional.empty();
        while (back.isEmpty() && rounds < 100) {
            back = round(d, true, true, true);
            rounds++;
        }
        Decision b = back.orElseThrow();
        assertEquals("primary", b.to());
        assertTrue(now - switchedAt >= MIN_HOLD, "held at least min-hold: " + (now - switchedAt));
        assertEquals(MIN_HOLD / INTERVAL, rounds, "failback at the first round past min-hold");
        assertTrue(b.reason().startsWith("failback: primary healthy for"), b.reason());
    }

    @Test
    void autoFailbackNeedsMSuccessesEvenAfterMinHold() {
        FailoverDecider d = decider(Failback.AUTO);
        failOverToSecondary(d);
        for (int i = 0; i < 40; i++) {
            round(d, false, true, true);
        }
        assertTrue(now - d.activeSinceMillis() >= MIN_HOLD);
        for (int i = 0; i < 4; i++) {
            assertTrue(round(d, true, true, true).isEmpty(), "only " + (i + 1) + " good rounds");
        }
        assertEquals("primary", round(d, true, true, true).orElseThrow().to());
    }

    @Test
    void adoptingAnotherSidecarsSwitchRestartsTheHold() {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        now += 120_000;
        d.adopt(now, "secondary", 8);
        assertEquals(now, d.activeSinceMillis());
        for (int i = 0; i < 5; i++) {
            assertTrue(round(d, true, true, true).isEmpty(), "min-hold counts from the adoption");
        }
    }

    @Test
    void failedUpdateAllowsANewDecision() {
        FailoverDecider d = decider(Failback.MANUAL);
        failOverToSecondaryPending(d);
        d.switchFailed();
        assertEquals(Optional.of("primary"), d.active(), "the answer only changes when DNS confirms");
        assertEquals("secondary", round(d, false, true, true).orElseThrow().to());
    }

    @Test
    void manualCommandsAreCheckedWithReasons() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        assertEquals(400, assertThrows(RefusedException.class, () -> d.requestFailover(now, "mars")).status);
        assertEquals(409, assertThrows(RefusedException.class, () -> d.requestFailover(now, "primary")).status);
        for (int i = 0; i < 3; i++) {
            round(d, true, false, true);
        }
        RefusedException down = assertThrows(RefusedException.class, () -> d.requestFailover(now, "secondary"));
        assertTrue(down.getMessage().startsWith("secondary is down"), down.getMessage());
        assertEquals("tertiary", assertDoesNotThrow(() -> d.requestFailover(now, "tertiary")).to());
        assertEquals(409, assertThrows(RefusedException.class, () -> d.requestFailback(now)).status, "in flight");
    }

    @Test
    void nothingIsDecidedBeforeTheAnswerIsKnown() {
        FailoverDecider d = new FailoverDecider(List.of("a", "b"), 1, 1, 0, Failback.AUTO, 1_000);
        d.onProbeRound(now, "a", false, "x");
        d.onProbeRound(now, "b", true, "ok");
        assertTrue(d.evaluate(now).isEmpty());
        d.adopt(now, "a", 1);
        assertEquals("b", d.evaluate(now).orElseThrow().to());
    }

    @Test
    void thresholdsAreChecked() {
        assertThrows(IllegalArgumentException.class,
                () -> new FailoverDecider(List.of("a", "b"), 3, 2, 0, Failback.AUTO, 1_000));
        assertThrows(IllegalArgumentException.class,
                () -> new FailoverDecider(List.of("a"), 1, 1, 0, Failback.AUTO, 1_000));
    }

    private void failOverToSecondary(FailoverDecider d) {
        failOverToSecondaryPending(d);
        d.switched(now, "secondary", 8);
    }

    private void failOverToSecondaryPending(FailoverDecider d) {
        round(d, true, true, true);
        round(d, false, true, true);
        round(d, false, true, true);
        assertEquals("secondary", round(d, false, true, true).orElseThrow().to());
    }
}
