package io.pharos.health.active;

import java.util.random.RandomGenerator;

/**
 * Spreads check times: an interval {@code i} with jitter {@code j} becomes a delay uniformly drawn from
 * {@code [i × (1 − j), i × (1 + j)]}, so checks of many backends (and of many proxies) do not march in
 * step. Stateless.
 */
final class Jitter {
    /** The largest jitter allowed: beyond it a delay could approach 0 or double. */
    static final double MAX = 0.5;

    private Jitter() {
    }

    static void checkJitter(double jitter) {
        if (!(jitter >= 0 && jitter <= MAX)) {
            throw new IllegalArgumentException("jitter: " + jitter + " (expected: 0.." + MAX + ")");
        }
    }

    /** @param unit a value in {@code [-1, 1]}: −1 gives the shortest delay, 1 the longest */
    static long apply(long intervalNanos, double jitter, double unit) {
        long delay = Math.round(intervalNanos * (1 + jitter * unit));
        return Math.max(1, delay);
    }

    static long apply(long intervalNanos, double jitter, RandomGenerator random) {
        return apply(intervalNanos, jitter, random.nextDouble(-1, 1));
    }
}
