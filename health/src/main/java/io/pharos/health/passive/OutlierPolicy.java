package io.pharos.health.passive;

import java.time.Duration;
import java.util.Objects;

/**
 * One cluster's outlier-detection settings ({@code health.passive}) plus whether active checks run.
 *
 * @param consecutiveFailures gateway failures in a row (connect failure, reset, timeout, 502/503/504) that
 *                            eject; 0 disables this trigger
 * @param consecutive5xx      5xx responses in a row (gateway failures included) that eject; 0 disables it
 * @param baseEjectionTime    the n-th ejection of a backend lasts n × this ...
 * @param maxEjectionTime     ... but never longer than this
 * @param maxEjectionPercent  at most this share of the cluster's backends is ejected at once (0..100)
 * @param activeRise          the active checks' {@code rise} when active checks are configured, else 0: an
 *                            ejected backend whose time is over returns only after this many consecutive
 *                            passed active checks since it was ejected
 */
public record OutlierPolicy(
        int consecutiveFailures,
        int consecutive5xx,
        Duration baseEjectionTime,
        Duration maxEjectionTime,
        int maxEjectionPercent,
        int activeRise) {

    public OutlierPolicy {
        if (consecutiveFailures < 0) {
            throw new IllegalArgumentException("consecutiveFailures: " + consecutiveFailures + " (expected: >= 0)");
        }
        if (consecutive5xx < 0) {
            throw new IllegalArgumentException("consecutive5xx: " + consecutive5xx + " (expected: >= 0)");
        }
        Objects.requireNonNull(baseEjectionTime, "baseEjectionTime");
        Objects.requireNonNull(maxEjectionTime, "maxEjectionTime");
        if (baseEjectionTime.isNegative() || baseEjectionTime.isZero()) {
            throw new IllegalArgumentException("baseEjectionTime: " + baseEjectionTime + " (expected: > 0)");
        }
        if (maxEjectionTime.compareTo(baseEjectionTime) < 0) {
            throw new IllegalArgumentException("maxEjectionTime: " + maxEjectionTime + " (expected: >= baseEjectionTime " + baseEjectionTime + ")");
        }
        if (maxEjectionPercent < 0 || maxEjectionPercent > 100) {
            throw new IllegalArgumentException("maxEjectionPercent: " + maxEjectionPercent + " (expected: 0..100)");
        }
        if (activeRise < 0) {
            throw new IllegalArgumentException("activeRise: " + activeRise + " (expected: >= 0)");
        }
    }

    /** Envoy's defaults: 5 failures, 30s, 300s, 50%; no 5xx trigger; no active checks. */
    public static OutlierPolicy defaults() {
        return new OutlierPolicy(5, 0, Duration.ofSeconds(30), Duration.ofSeconds(300), 50, 0);
    }

    /** How long the {@code n}-th ejection (1-based) lasts. */
    public Duration ejectionTime(int n) {
        Duration d = baseEjectionTime.multipliedBy(Math.max(1, n));
        return d.compareTo(maxEjectionTime) > 0 ? maxEjectionTime : d;
    }
}
