package io.pharos.proxy.continuity.apply;

/** The pause before the next try of a record that failed: exponential, capped, jittered. Pure; any thread. */
final class Backoff {
    private Backoff() {
    }

    /**
     * {@code min * 2^(failures-1)}, at most {@code max}, then scaled into its upper half by {@code random}
     * (0 <= random < 1): tries of many stuck records spread out instead of arriving together.
     */
    static long delayNanos(int failures, long minNanos, long maxNanos, double random) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures: " + failures + " (expected: >= 1)");
        }
        int doublings = Math.min(failures - 1, 62);
        long full = minNanos > (maxNanos >> doublings) ? maxNanos : Math.min(maxNanos, minNanos << doublings);
        return full / 2 + (long) ((full - full / 2) * random);
    }
}
