package io.pharos.health.passive;

import io.pharos.health.EndpointId;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What real traffic tells about one backend, recorded by the event loops with atomics (no lock, no
 * allocation). When a counter reaches its cluster's threshold it asks the {@link OutlierDetector} to
 * evaluate; the decision itself is made there, on the control thread.
 */
public final class OutlierStats {
    private final EndpointId id;
    private final ControlOutlierDetector detector;
    /** Gateway failures in a row; written by event loops, reset by the control thread on ejection and return. */
    private final AtomicInteger consecutiveGatewayFailures = new AtomicInteger();
    /** 5xx (gateway failures included) in a row; written like {@link #consecutiveGatewayFailures}. */
    private final AtomicInteger consecutive5xx = new AtomicInteger();
    /** Active checks passed in a row since the last ejection; written by the session's loop, reset by the control thread. */
    private final AtomicInteger activeSuccessStreak = new AtomicInteger();
    /** Thresholds of the cluster's policy; written by the control thread, read by event loops. 0 = off. */
    private volatile int failureThreshold;
    /** See {@link #failureThreshold}. */
    private volatile int fiveXxThreshold;
    /** Written by the control thread (the decider). */
    private volatile boolean ejected;

    OutlierStats(EndpointId id, ControlOutlierDetector detector) {
        this.id = id;
        this.detector = detector;
    }

    public EndpointId id() {
        return id;
    }

    /** A response head from the backend (event loop). 502/503/504 are gateway failures. */
    public void onResponse(int status) {
        if (GatewayStatus.isGatewayFailure(status)) {
            onGatewayFailure();
        } else if (status >= 500 && status <= 599) {
            reset(consecutiveGatewayFailures);
            bump(consecutive5xx, fiveXxThreshold);
        } else {
            onSuccess();
        }
    }

    /** A success without a status (an L4 connect) or a response below 500 (event loop): both streaks end. */
    public void onSuccess() {
        reset(consecutiveGatewayFailures);
        reset(consecutive5xx);
    }

    /** A connect failure, a reset, or a timeout waiting for the backend (event loop). */
    public void onLocalFailure() {
        onGatewayFailure();
    }

    /** An active check of this backend finished (its session's event loop). */
    public void onActiveCheck(boolean ok) {
        if (!ok) {
            reset(activeSuccessStreak);
            return;
        }
        activeSuccessStreak.incrementAndGet();
        if (ejected) {
            detector.requestEvaluation();
        }
    }

    public boolean isEjected() {
        return ejected;
    }

    public int consecutiveGatewayFailures() {
        return consecutiveGatewayFailures.get();
    }

    public int consecutive5xx() {
        return consecutive5xx.get();
    }

    int activeSuccessStreak() {
        return activeSuccessStreak.get();
    }

    private void onGatewayFailure() {
        boolean a = bumpQuietly(consecutiveGatewayFailures, failureThreshold);
        boolean b = bumpQuietly(consecutive5xx, fiveXxThreshold);
        if (a || b) {
            detector.requestEvaluation();
        }
    }

    private void bump(AtomicInteger counter, int threshold) {
        if (bumpQuietly(counter, threshold)) {
            detector.requestEvaluation();
        }
    }

    /** Returns whether the counter is at or past a non-zero threshold. */
    private boolean bumpQuietly(AtomicInteger counter, int threshold) {
        int n = counter.incrementAndGet();
        return threshold > 0 && n >= threshold && !ejected;
    }

    private static void reset(AtomicInteger counter) {
        // a plain read first: most responses are fine and the counter already 0, so no write, no cache-line bounce
        if (counter.get() != 0) {
            counter.set(0);
        }
    }

    /** Control thread: the cluster's policy (re)applied. */
    void applyPolicy(OutlierPolicy policy) {
        failureThreshold = policy.consecutiveFailures();
        fiveXxThreshold = policy.consecutive5xx();
    }

    /** Control thread: the decider ejected or returned this backend; counting starts over either way. */
    void setEjected(boolean ejected) {
        this.ejected = ejected;
        consecutiveGatewayFailures.set(0);
        consecutive5xx.set(0);
        if (ejected) {
            activeSuccessStreak.set(0);
        }
    }

    @Override
    public String toString() {
        return "OutlierStats[" + id + " gateway=" + consecutiveGatewayFailures.get() + " 5xx=" + consecutive5xx.get()
                + (ejected ? " ejected" : "") + "]";
    }
}
