package io.pharos.gtm;

import io.pharos.gtm.FailoverDecider.ProxyView;
import io.pharos.gtm.FailoverDecider.RefusedException;
import io.pharos.gtm.FailoverDecider.Status;
import io.pharos.gtm.GtmConfig.Failback;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;

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
        assertEquals(Decision.Cause.REGION_DOWN, s.cause());
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

    /** One region's round and the evaluation after it, as the sidecar runs them (it evaluates after every probe). */
    private Optional<Decision> probe(FailoverDecider d, String region, boolean ok) {
        d.onProbeRound(now, region, ok, ok ? "status 200" : "connect refused");
        return d.evaluate(now);
    }

    @Test
    void bothRegionsBackTogetherSwitchNothingEvenWhenTheOtherIsUpFirst() {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        for (int i = 0; i < 3; i++) {
            round(d, false, false, false);
        }
        assertEquals(Decision.Cause.ALL_DOWN, d.lastDecision().orElseThrow().cause());
        List<Decision> decisions = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            now += INTERVAL;
            // secondary's round lands first: it is up one evaluation before primary is
            probe(d, "secondary", true).ifPresent(decisions::add);
            probe(d, "primary", true).ifPresent(decisions::add);
            probe(d, "tertiary", true).ifPresent(decisions::add);
        }
        assertEquals(1, decisions.size(), "only the alert's end: " + decisions);
        assertEquals(Decision.Kind.CLEAR, decisions.get(0).kind());
        assertEquals(Decision.Cause.RECOVERED, decisions.get(0).cause());
        assertEquals(Optional.of("primary"), d.active());
        assertTrue(d.pending().isEmpty(), "no switch for zero failed rounds, so no failback after it either");
    }

    @Test
    void aDownActiveRegionThatPassesAgainIsKeptUntilItFailsNRoundsAgain() {
        FailoverDecider d = decider(Failback.MANUAL);
        round(d, true, true, true);
        for (int i = 0; i < 3; i++) {
            round(d, false, false, false);
        }
        assertTrue(round(d, true, true, true).isEmpty(), "primary passed once: recovering");
        for (int i = 0; i < 3; i++) {
            assertTrue(round(d, i % 2 == 0, true, true).isEmpty(), "flapping, never N failures in a row");
        }
        assertTrue(round(d, false, true, true).isEmpty());
        assertTrue(round(d, false, true, true).isEmpty());
        Decision s = round(d, false, true, true).orElseThrow();
        assertEquals(Decision.Cause.REGION_DOWN, s.cause());
        assertTrue(s.reason().startsWith("primary down after 3 consecutive failed rounds (connect refused)"), s.reason());
    }

    /** Random probe outcomes, evaluated after every probe: every switch's cause is true of the state it was decided in. */
    @Test
    void everySwitchCarriesItsRealCause() {
        Random random = new Random(15);
        FailoverDecider d = decider(Failback.AUTO);
        List<String> regions = List.of("primary", "secondary", "tertiary");
        int switches = 0;
        for (int step = 0; step < 20_000; step++) {
            now += INTERVAL / 3;
            String region = regions.get(step % 3);
            boolean ok = random.nextInt(100) < (region.equals("primary") ? 70 : 85);
            Optional<Decision> decision = probe(d, region, ok);
            if (decision.isEmpty() || decision.get().kind() != Decision.Kind.SWITCH) {
                continue;
            }
            Decision s = decision.get();
            FailoverDecider.RegionState from = d.region(s.from());
            FailoverDecider.RegionState to = d.region(s.to());
            switch (s.cause()) {
                case REGION_DOWN -> {
                    assertEquals(Status.DOWN, from.status, s.toString());
                    assertTrue(from.consecutiveFailures >= 3, s.toString());
                    assertTrue(s.reason().startsWith(s.from() + " down after " + from.consecutiveFailures + " consecutive failed rounds"), s.toString());
                }
                case AUTO_FAILBACK -> {
                    assertTrue(to.priority < from.priority, s.toString());
                    assertTrue(to.consecutiveSuccesses >= 5, s.toString());
                }
                default -> fail("unexpected cause " + s);
            }
            assertTrue(to.eligible(), "never to a failing region: " + s);
            d.switched(now, s.to(), d.epoch() + 1);
            switches++;
        }
        assertTrue(switches > 10, "the walk exercised switches: " + switches);
    }

    @Test
    void manualFailoverUnderAutoFailbackHoldsUntilFailback() throws Exception {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        Decision m = d.requestFailover(now, "secondary");
        assertEquals(Decision.Cause.MANUAL_FAILOVER, m.cause());
        assertEquals(Optional.of(Hold.UNTIL_FAILBACK), m.hold());
        d.switched(now, "secondary", 8, m.hold());
        for (int i = 0; i < 200; i++) {
            assertTrue(round(d, true, true, true).isEmpty(), "held: no automatic failback after " + (i + 1) + " good rounds");
        }
        Decision back = d.requestFailback(now);
        assertEquals(Decision.Cause.MANUAL_FAILBACK, back.cause());
        assertEquals("primary", back.to());
        assertTrue(back.hold().isEmpty());
        d.switched(now, "primary", 9, back.hold());
        assertTrue(d.hold().isEmpty(), "POST /failback ends the hold");
    }

    @Test
    void aTimedHoldEndsAndAutomaticFailbackFollows() throws Exception {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        long start = now;
        Decision m = d.requestFailover(now, "secondary", Optional.of(java.time.Duration.ofMinutes(5)));
        assertEquals(Optional.of(new Hold(start + 300_000)), m.hold());
        d.switched(now, "secondary", 8, m.hold());
        Optional<Decision> back = Optional.empty();
        while (back.isEmpty() && now - start < 1_000_000) {
            back = round(d, true, true, true);
        }
        Decision b = back.orElseThrow();
        assertEquals(Decision.Cause.AUTO_FAILBACK, b.cause());
        assertTrue(now - start >= 300_000, "not before the hold's end: " + (now - start));
        assertTrue(now - start < 300_000 + INTERVAL + 1, "at the first round after it: " + (now - start));
        assertTrue(b.reason().endsWith("; the manual failover's hold ended)"), b.reason());
    }

    @Test
    void aHoldDoesNotKeepTheAnswerOnAFailingRegion() throws Exception {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        d.switched(now, "secondary", 8, d.requestFailover(now, "secondary").hold());
        round(d, true, false, true);
        round(d, true, false, true);
        Decision away = round(d, true, false, true).orElseThrow();
        assertEquals(Decision.Cause.REGION_DOWN, away.cause());
        assertEquals("primary", away.to());
        d.switched(now, "primary", 9, away.hold());
        assertTrue(d.hold().isEmpty());
    }

    @Test
    void aHoldAdoptedFromDnsHoldsToo() {
        FailoverDecider d = decider(Failback.AUTO);
        round(d, true, true, true);
        d.adopt(now, "secondary", 8, Optional.of(Hold.UNTIL_FAILBACK));
        for (int i = 0; i < 100; i++) {
            assertTrue(round(d, true, true, true).isEmpty(), "another sidecar's manual failover is held here too");
        }
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
