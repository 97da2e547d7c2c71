package io.pharos.proxy.lb;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Slow start of the candidates of one balancer: a candidate that became usable less than
 * {@code window} ago has its weight scaled by a factor that grows linearly from {@code floor} to 1
 * over the window since {@code readySinceNanos} (HAProxy {@code slowstart}, Envoy
 * {@code slow_start_config}).
 *
 * <p>Snapshots are rebuilt only when something changes, not as time passes, so the ramp is computed
 * at pick time: while any candidate ramps, a pick reads the clock once ({@link #now()}), and
 every algorithm that draws candidates (all but the hashing ones) thins out the draws of a
 * ramping candidate by rejection ({@link #accept}): a draw stands with probability
 * {@code factor / maxFactor}, which makes its share proportional to {@code weight × factor}.
 * Once the clock passes the end of the last ramp, one volatile flag turns off and picks stop reading
 * the clock. Ring-hash and maglev do not ramp: changing weights would move keys.
 *
 * <p>Thread safety: immutable except {@link #ramping}, which any picking thread may clear.
 */
final class SlowStart {
    /** What {@link #now()} answers when nothing ramps. */
    static final long NOT_RAMPING = Long.MIN_VALUE;

    private final LongSupplier nanoClock;
    private final long windowNanos;
    private final double floor;
    /** Ramp start per candidate; {@link #NOT_RAMPING} for one that was at full weight at build time. */
    private final long[] rampStart;
    /** Whether some candidate was already at full weight: then the largest factor is 1. */
    private final boolean anySteady;
    /** The candidate that started ramping first: the largest factor when none is steady. */
    private final int oldestRamping;
    /** Clock value at which the last ramp ends. */
    private final long rampEnd;
    /** True while some candidate may still ramp; cleared (never set again) by a picking thread. */
    private volatile boolean ramping;

    private SlowStart(Candidates c, long windowNanos, double floor, LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
        this.windowNanos = windowNanos;
        this.floor = floor;
        int n = c.size();
        this.rampStart = new long[n];
        long now = nanoClock.getAsLong();
        boolean steady = false;
        int oldest = -1;
        long end = now;
        for (int i = 0; i < n; i++) {
            long since = c.readySinceNanos[i];
            if (windowNanos == 0 || now - since >= windowNanos) {
                rampStart[i] = NOT_RAMPING;
                steady = true;
            } else {
                rampStart[i] = since;
                if (oldest < 0 || since - c.readySinceNanos[oldest] < 0) {
                    oldest = i;
                }
                if (since + windowNanos - end > 0) {
                    end = since + windowNanos;
                }
            }
        }
        this.anySteady = steady;
        this.oldestRamping = oldest;
        this.rampEnd = end;
        this.ramping = oldest >= 0;
    }

    static SlowStart of(Candidates candidates, Duration window, double floor, LongSupplier nanoClock) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("window: " + window + " (expected: >= 0)");
        }
        if (!(floor > 0 && floor <= 1)) {
            throw new IllegalArgumentException("floor: " + floor + " (expected: (0, 1])");
        }
        return new SlowStart(candidates, window.toNanos(), floor, nanoClock);
    }

    /** The clock while some candidate ramps, else {@link #NOT_RAMPING} without reading the clock. */
    long now() {
        if (!ramping) {
            return NOT_RAMPING;
        }
        long now = nanoClock.getAsLong();
        if (now - rampEnd >= 0) {
            ramping = false;
            return NOT_RAMPING;
        }
        return now;
    }

    /** Weight scale of candidate {@code i} at {@code now} (from {@link #now()}), in [floor, 1]. */
    double factor(int i, long now) {
        long start = rampStart[i];
        if (now == NOT_RAMPING || start == NOT_RAMPING) {
            return 1;
        }
        long elapsed = now - start;
        if (elapsed >= windowNanos) {
            return 1;
        }
        return elapsed <= 0 ? floor : floor + (1 - floor) * elapsed / windowNanos;
    }

    /** Whether a draw of candidate {@code i} stands (rejection sampling; see the class comment). */
    boolean accept(int i, long now) {
        double f = factor(i, now);
        if (f >= 1) {
            return true;
        }
        double max = anySteady ? 1 : factor(oldestRamping, now);
        return f >= max || ThreadLocalRandom.current().nextDouble() * max < f;
    }
}
