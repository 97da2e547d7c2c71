package io.pharos.proxy.cluster;

import java.util.concurrent.atomic.LongAdder;

/**
 * A latency histogram with only the Prometheus buckets ({@link #boundSeconds}): one {@link LongAdder}
 * per bucket and one for the sum, so any thread records without locks or allocation and one costs
 * about a kilobyte, cheap enough for every backend (the listeners' HdrHistogram recorders keep full
 * resolution at tens of kilobytes each, over the same bounds). The metrics package writes it out.
 */
public final class BucketedLatency {
    /** Inclusive upper bounds of the buckets in seconds; above the last one is the +Inf bucket. */
    private static final double[] BOUNDS_SECONDS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

    private final LongAdder[] counts = new LongAdder[BOUNDS_SECONDS.length + 1];
    private final long[] boundsNanos = new long[BOUNDS_SECONDS.length];
    private final LongAdder sumNanos = new LongAdder();

    public BucketedLatency() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
        for (int i = 0; i < boundsNanos.length; i++) {
            boundsNanos[i] = (long) (BOUNDS_SECONDS[i] * 1e9);
        }
    }

    /** How many finite buckets there are (the +Inf bucket comes on top). */
    public static int boundCount() {
        return BOUNDS_SECONDS.length;
    }

    /** The inclusive upper bound of finite bucket {@code i} in seconds. */
    public static double boundSeconds(int i) {
        return BOUNDS_SECONDS[i];
    }

    /** Records one latency; negative counts as 0. Any thread. */
    public void record(long nanos) {
        long v = Math.max(0, nanos);
        int i = 0;
        while (i < boundsNanos.length && v > boundsNanos[i]) {
            i++;
        }
        counts[i].increment();
        sumNanos.add(v);
    }

    /**
     * The cumulative counts: element {@code i} is the count at or below {@link #boundSeconds}(i), the
     * last one ({@code i == boundCount()}, +Inf) the total. Scraping thread; allocates the array.
     */
    public long[] cumulativeCounts() {
        long[] cumulative = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            cumulative[i] = running;
        }
        return cumulative;
    }

    /** The sum of the recorded latencies in nanoseconds. */
    public long sumNanos() {
        return sumNanos.sum();
    }
}
