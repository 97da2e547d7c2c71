package io.pharos.proxy.metrics;

import java.util.concurrent.atomic.LongAdder;

/**
 * A latency histogram with only the Prometheus buckets ({@link LatencyHistogram#BUCKETS}): one
 * {@link LongAdder} per bucket and one for the sum, so any thread records without locks or allocation
 * and one costs about a kilobyte, cheap enough for every backend (the listeners' HdrHistogram
 * recorders keep full resolution at tens of kilobytes each).
 */
public final class BucketedLatency {
    private final LongAdder[] counts = new LongAdder[LatencyHistogram.BUCKETS.length + 1];
    private final long[] boundsNanos = new long[LatencyHistogram.BUCKETS.length];
    private final LongAdder sumNanos = new LongAdder();

    public BucketedLatency() {
        for (int i = 0; i < counts.length; i++) {
            counts[i] = new LongAdder();
        }
        for (int i = 0; i < boundsNanos.length; i++) {
            boundsNanos[i] = (long) (LatencyHistogram.BUCKETS[i] * 1e9);
        }
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

    /** Writes the cumulative buckets, sum and count (the family header is the caller's). Scraping thread. */
    public void writeSamples(MetricsWriter out, String name, String... labels) {
        long[] cumulative = new long[counts.length];
        long running = 0;
        for (int i = 0; i < counts.length; i++) {
            running += counts[i].sum();
            cumulative[i] = running;
        }
        LatencyHistogram.writeBuckets(out, name, labels, i -> cumulative[i], sumNanos.sum() / 1e9);
    }
}
