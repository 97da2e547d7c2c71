package io.pharos.gtm;

import io.pharos.gtm.GtmConfig.Failback;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The sidecar's decision state machine, pure: it is fed probe rounds, proxy events and heartbeat ages
 * with explicit times (a virtual clock in tests) and answers with {@link Decision}s; it does no I/O.
 *
 * <ul>
 *   <li>A region is {@code down} after N consecutive failed rounds, {@code up} again after M
 *       consecutive good ones (a region never seen down is up after its first good round).</li>
 *   <li>When the active region is down and failing (its last N rounds failed), switch to the
 *       highest-priority region that is up and whose last round passed. When none is, keep the answer and
 *       raise an alert (never an empty answer). A down active region whose probes pass again is recovering:
 *       nothing is switched away from it (the switch would be for zero failed rounds).</li>
 *   <li>A {@code cluster down} event from a region's proxy asks for fast re-probing of that region; it
 *       is a signal, not a verdict. A stale proxy heartbeat makes the proxy's view {@code unknown}:
 *       its signals are ignored, its silence is not taken for "down".</li>
 *   <li>Failback to a higher-priority region: {@code auto} after M good rounds and {@code min-hold}
 *       since the last switch; {@code manual} only by {@link #requestFailback}. A manual failover holds
 *       automatic failback off ({@link Hold}) until {@link #requestFailback} or the hold's end.</li>
 *   <li>While a switch is being written to DNS no other switch is decided; the answer changes only
 *       when the update is confirmed ({@link #switched}) or adopted from DNS ({@link #adopt}).</li>
 * </ul>
 *
 * <p>Confined to the sidecar's control thread.
 */
final class FailoverDecider {
    static final int HISTORY = 10;

    enum Status { UNKNOWN, UP, DOWN }

    enum ProxyView { NONE, UNKNOWN, UP, DOWN }

    /** Per-region state; fields written by the control thread only. */
    static final class RegionState {
        final String name;
        final int priority;
        /** Written by the control thread. */
        Status status = Status.UNKNOWN;
        /** Written by the control thread. */
        int consecutiveFailures;
        /** Written by the control thread. */
        int consecutiveSuccesses;
        /** Written by the control thread: reason of the last round. */
        String lastReason = "";
        /** Written by the control thread. */
        ProxyView proxyView = ProxyView.NONE;
        /** Written by the control thread: the proxy said its cluster is down (cleared by recovered). */
        boolean proxySaysDown;
        /** Written by the control thread: -1 when no heartbeat seen. */
        long heartbeatAgeMillis = -1;
        /** Written by the control thread: last rounds, newest last. */
        final Deque<String> history = new ArrayDeque<>();

        RegionState(String name, int priority) {
            this.name = name;
            this.priority = priority;
        }

        boolean eligible() {
            return status == Status.UP && consecutiveFailures == 0;
        }
    }

    private final Map<String, RegionState> regions = new LinkedHashMap<>();
    private final int failureThreshold;
    private final int recoveryThreshold;
    private final long minHoldMillis;
    private final Failback failback;
    private final long staleAfterMillis;

    /** Written by the control thread: the region DNS currently points at, or null before it is known. */
    private String active;
    /** Written by the control thread: the state TXT epoch, -1 before it is known. */
    private long epoch = -1;
    /** Written by the control thread: when the answer last changed (or was adopted). */
    private long activeSinceMillis;
    /** Written by the control thread: target of the switch being written to DNS, or null. */
    private String pending;
    /** Written by the control thread: the all-down alert, or null. */
    private String alert;
    /** Written by the control thread. */
    private Decision lastDecision;
    /** Written by the control thread: the hold on automatic failback that came with the current answer. */
    private Optional<Hold> hold = Optional.empty();

    FailoverDecider(List<String> regionsByPriority, int failureThreshold, int recoveryThreshold, long minHoldMillis,
                    Failback failback, long staleAfterMillis) {
        if (regionsByPriority.size() < 2) {
            throw new IllegalArgumentException("regions: " + regionsByPriority + " (expected: at least two)");
        }
        if (failureThreshold < 1 || recoveryThreshold < failureThreshold) {
            throw new IllegalArgumentException("thresholds: failure " + failureThreshold + ", recovery "
                    + recoveryThreshold + " (expected: 1 <= failure <= recovery)");
        }
        for (int i = 0; i < regionsByPriority.size(); i++) {
            regions.put(regionsByPriority.get(i), new RegionState(regionsByPriority.get(i), i));
        }
        this.failureThreshold = failureThreshold;
        this.recoveryThreshold = recoveryThreshold;
        this.minHoldMillis = minHoldMillis;
        this.failback = failback;
        this.staleAfterMillis = staleAfterMillis;
    }

    static FailoverDecider of(GtmConfig config) {
        return new FailoverDecider(config.regions().stream().map(GtmConfig.Region::name).toList(),
                config.failureThreshold(), config.recoveryThreshold(), config.minHold().toMillis(), config.failback(),
                config.heartbeatStaleAfter().toMillis());
    }

    // ---- inputs ------------------------------------------------------------------------------

    /** The answer found in DNS (at start, or after another sidecar won a compare-and-set), without a hold. */
    void adopt(long nowMillis, String region, long dnsEpoch) {
        adopt(nowMillis, region, dnsEpoch, Optional.empty());
    }

    /** The answer found in DNS with the hold on automatic failback its state record carries. */
    void adopt(long nowMillis, String region, long dnsEpoch, Optional<Hold> dnsHold) {
        RegionState r = region(region);
        if (!r.name.equals(active) || dnsEpoch != epoch) {
            activeSinceMillis = nowMillis;
        }
        active = r.name;
        epoch = dnsEpoch;
        hold = dnsHold;
        pending = null;
    }

    /** One probe round of {@code region} finished. */
    void onProbeRound(long nowMillis, String region, boolean ok, String reason) {
        RegionState r = region(region);
        r.lastReason = reason;
        r.history.addLast(ok ? "ok" : "fail " + reason);
        if (r.history.size() > HISTORY) {
            r.history.removeFirst();
        }
        if (ok) {
            r.consecutiveFailures = 0;
            r.consecutiveSuccesses++;
            if (r.status == Status.UNKNOWN || (r.status == Status.DOWN && r.consecutiveSuccesses >= recoveryThreshold)) {
                r.status = Status.UP;
            }
        } else {
            r.consecutiveSuccesses = 0;
            r.consecutiveFailures++;
            if (r.consecutiveFailures >= failureThreshold) {
                r.status = Status.DOWN;
            }
        }
    }

    /** The region's proxy reported its cluster down (true) or recovered (false). */
    void onProxyClusterEvent(String region, boolean down) {
        RegionState r = region(region);
        r.proxySaysDown = down;
        refreshProxyView(r);
    }

    /** The age of the region's proxy heartbeat, -1 when none was ever seen. */
    void onHeartbeatAge(String region, long ageMillis) {
        RegionState r = region(region);
        r.heartbeatAgeMillis = ageMillis;
        refreshProxyView(r);
    }

    private void refreshProxyView(RegionState r) {
        if (r.heartbeatAgeMillis < 0 || r.heartbeatAgeMillis > staleAfterMillis) {
            r.proxyView = ProxyView.UNKNOWN;
        } else {
            r.proxyView = r.proxySaysDown ? ProxyView.DOWN : ProxyView.UP;
        }
    }

    /** Whether {@code region} should be probed at the fast interval now. */
    boolean wantsFastProbe(String region) {
        RegionState r = region(region);
        return r.proxyView == ProxyView.DOWN
                || (r.consecutiveFailures > 0 && r.status != Status.DOWN)
                || (r.status == Status.DOWN && r.consecutiveSuccesses > 0);
    }

    // ---- decisions ---------------------------------------------------------------------------

    /** Decides after new inputs; empty when nothing is to be done. */
    Optional<Decision> evaluate(long nowMillis) {
        if (active == null || pending != null) {
            return Optional.empty();
        }
        RegionState current = regions.get(active);
        if (current.status == Status.DOWN) {
            if (current.consecutiveFailures < failureThreshold) {
                // down, but it passed a round since: recovering, not failing now. Switching away would be a
                // switch for fewer than N failed rounds (both regions back at once used to switch, then fail back).
                return Optional.empty();
            }
            Optional<RegionState> target = regions.values().stream()
                    .filter(r -> r != current && r.eligible()).findFirst();
            if (target.isPresent()) {
                alert = null;
                return decided(switchTo(nowMillis, target.get(), Decision.Cause.REGION_DOWN, Optional.empty(),
                        active + " down after " + current.consecutiveFailures + " consecutive failed rounds ("
                                + current.lastReason + "); " + target.get().name + " healthy"));
            }
            if (alert == null) {
                alert = "every region is down; keeping " + active + " (last: " + current.lastReason + ")";
                return decided(new Decision(Decision.Kind.ALERT, Decision.Cause.ALL_DOWN, active, active, alert, nowMillis));
            }
            return Optional.empty();
        }
        if (alert != null) {
            String was = alert;
            alert = null;
            return decided(new Decision(Decision.Kind.CLEAR, Decision.Cause.RECOVERED, active, active,
                    active + " is no longer down (was: " + was + ")", nowMillis));
        }
        if (failback == Failback.AUTO && hold.filter(h -> h.heldAt(nowMillis)).isEmpty()) {
            Optional<RegionState> better = regions.values().stream()
                    .filter(r -> r.priority < current.priority && r.eligible() && r.consecutiveSuccesses >= recoveryThreshold)
                    .findFirst();
            if (better.isPresent() && nowMillis - activeSinceMillis >= minHoldMillis) {
                RegionState b = better.get();
                return decided(switchTo(nowMillis, b, Decision.Cause.AUTO_FAILBACK, Optional.empty(), "failback: " + b.name
                        + " healthy for " + b.consecutiveSuccesses + " rounds and " + active + " held "
                        + (nowMillis - activeSinceMillis) + " ms (min-hold " + minHoldMillis + " ms"
                        + (hold.isPresent() ? "; the manual failover's hold ended" : "") + ")"));
            }
        }
        return Optional.empty();
    }

    /** As {@link #requestFailover(long, String, Optional)}, holding automatic failback until {@code POST /failback}. */
    Decision requestFailover(long nowMillis, String to) throws RefusedException {
        return requestFailover(nowMillis, to, Optional.empty());
    }

    /**
     * The operator asks to move to {@code to}: maintenance, so automatic failback is held off for
     * {@code holdFor}, or until {@link #requestFailback} when empty. Refused (with the reason) for an
     * unknown region, the active one, a down one, or while another switch is in flight. The hold does not
     * keep the answer on a region that fails: failing over away from it ends the hold.
     */
    Decision requestFailover(long nowMillis, String to, Optional<Duration> holdFor) throws RefusedException {
        RegionState target = regions.get(to);
        if (target == null) {
            throw new RefusedException(400, "unknown region '" + to + "' (regions: " + String.join(", ", regions.keySet()) + ")");
        }
        checkCanSwitch(target);
        Hold h = holdFor.map(d -> new Hold(nowMillis + d.toMillis())).orElse(Hold.UNTIL_FAILBACK);
        return decided(switchTo(nowMillis, target, Decision.Cause.MANUAL_FAILOVER, Optional.of(h),
                "manual failover requested")).orElseThrow();
    }

    /**
     * The operator asks to return to the highest-priority region that is up (the manual failback
     * path; one failed round since it came up does not veto the operator).
     */
    Decision requestFailback(long nowMillis) throws RefusedException {
        Optional<RegionState> best = regions.values().stream().filter(r -> r.status == Status.UP).findFirst();
        if (best.isEmpty()) {
            throw new RefusedException(409, "no region is healthy");
        }
        checkCanSwitch(best.get());
        return decided(switchTo(nowMillis, best.get(), Decision.Cause.MANUAL_FAILBACK, Optional.empty(),
                "manual failback requested")).orElseThrow();
    }

    private void checkCanSwitch(RegionState target) throws RefusedException {
        if (active == null) {
            throw new RefusedException(409, "the current answer is not known yet");
        }
        if (pending != null) {
            throw new RefusedException(409, "a switch to " + pending + " is in progress");
        }
        if (target.name.equals(active)) {
            throw new RefusedException(409, target.name + " is already active");
        }
        if (target.status == Status.DOWN) {
            throw new RefusedException(409, target.name + " is down (" + target.lastReason + ")");
        }
    }

    private Decision switchTo(long nowMillis, RegionState target, Decision.Cause cause, Optional<Hold> newHold, String reason) {
        pending = target.name;
        return new Decision(Decision.Kind.SWITCH, cause, active, target.name, reason, newHold, nowMillis);
    }

    private Optional<Decision> decided(Decision d) {
        lastDecision = d;
        return Optional.of(d);
    }

    /** The switch to {@code region} was written and confirmed with {@code newEpoch}, without a hold. */
    void switched(long nowMillis, String region, long newEpoch) {
        switched(nowMillis, region, newEpoch, Optional.empty());
    }

    /** The switch to {@code region} was written and confirmed with {@code newEpoch} and the decision's hold. */
    void switched(long nowMillis, String region, long newEpoch, Optional<Hold> newHold) {
        adopt(nowMillis, region, newEpoch, newHold);
    }

    /** The switch could not be written (after its retries); the next evaluation may decide again. */
    void switchFailed() {
        pending = null;
    }

    // ---- views -------------------------------------------------------------------------------

    Optional<String> active() {
        return Optional.ofNullable(active);
    }

    long epoch() {
        return epoch;
    }

    long activeSinceMillis() {
        return activeSinceMillis;
    }

    Optional<String> pending() {
        return Optional.ofNullable(pending);
    }

    /** The hold on automatic failback that came with the current answer (possibly ended: see {@link Hold#heldAt}). */
    Optional<Hold> hold() {
        return hold;
    }

    Optional<String> alert() {
        return Optional.ofNullable(alert);
    }

    Optional<Decision> lastDecision() {
        return Optional.ofNullable(lastDecision);
    }

    List<RegionState> regions() {
        return new ArrayList<>(regions.values());
    }

    RegionState region(String name) {
        RegionState r = regions.get(name);
        if (r == null) {
            throw new IllegalArgumentException("region: " + name + " (expected one of " + regions.keySet() + ")");
        }
        return r;
    }

    /** A refused operator command, with the HTTP status to answer. */
    static final class RefusedException extends Exception {
        final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
