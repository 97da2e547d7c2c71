package io.pharos.proxy.metrics;

import io.netty.util.concurrent.EventExecutor;
import io.pharos.proxy.cluster.BucketedLatency;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntToLongFunction;

/**
 * Request latency of one listener as a Prometheus histogram. Each event loop records into its own
 * HdrHistogram {@link SingleWriterRecorder} (wait-free, no allocation); the reporter swaps each
 * recorder's interval histogram out into a recycled one and adds it to a cumulative total, which
 * allocates nothing after the first scrape. Threads that are not one of the loops (tests, embedded
 * channels) share one multi-writer {@link Recorder}.
 */
public final class LatencyHistogram {
    private static final long HIGHEST_NANOS = 3_600_000_000_000L;

    /** Where one thread records. */
    public interface Sink {
        /** Records one latency in nanoseconds; negative counts as 0, above one hour as one hour. */
        void record(long nanos);
    }

    private final class Slot implements Sink {
        final SingleWriterRecorder single;
        final Recorder shared;
        /** The reporter's recycled interval histogram for this recorder; written under the reporter's lock. */
        Histogram recycle;

        Slot(boolean singleWriter) {
            this.single = singleWriter ? new SingleWriterRecorder(1000, HIGHEST_NANOS, 2) : null;
            this.shared = singleWriter ? null : new Recorder(1000, HIGHEST_NANOS, 2);
        }

        @Override
        public void record(long nanos) {
            long v = nanos < 0 ? 0 : Math.min(nanos, HIGHEST_NANOS);
            if (single != null) {
                single.recordValue(v);
            } else {
                shared.recordValue(v);
            }
            sumNanos.add(v);
        }

        void drainInto(Histogram total) {
            recycle = single != null ? single.getIntervalHistogram(recycle) : shared.getIntervalHistogram(recycle);
            total.add(recycle);
        }
    }

    private final Map<EventExecutor, Slot> perLoop = new IdentityHashMap<>();
    private final Slot others = new Slot(false);
    private final LongAdder sumNanos = new LongAdder();
    /** Cumulative since start; written by the reporter under {@code this}. */
    private final Histogram total = new Histogram(1000, HIGHEST_NANOS, 2);

    /** One recorder per executor in {@code loops} (the data-plane event loops). */
    public LatencyHistogram(Iterable<? extends EventExecutor> loops) {
        for (EventExecutor e : loops) {
            perLoop.put(e, new Slot(true));
        }
    }

    /** The sink for code running on {@code loop}; cache it per channel. */
    public Sink sinkFor(EventExecutor loop) {
        Slot s = perLoop.get(loop);
        return s != null ? s : others;
    }

    /** Merges every recorder into the cumulative total and writes the histogram's samples. Scraping thread. */
    public synchronized void writeSamples(MetricsWriter out, String name, String... labels) {
        for (Slot s : perLoop.values()) {
            s.drainInto(total);
        }
        others.drainInto(total);
        writeBuckets(out, name, labels,
                i -> i < BucketedLatency.boundCount()
                        ? total.getCountBetweenValues(0, (long) (BucketedLatency.boundSeconds(i) * 1e9)) : total.getTotalCount(),
                sumNanos.sum() / 1e9);
    }

    /** Writes a backend's bucketed latency: cumulative buckets, sum and count (the family header is the caller's). Scraping thread. */
    public static void writeSamples(MetricsWriter out, BucketedLatency latency, String name, String... labels) {
        long[] cumulative = latency.cumulativeCounts();
        writeBuckets(out, name, labels, i -> cumulative[i], latency.sumNanos() / 1e9);
    }

    /**
     * Writes a histogram over the buckets of {@link BucketedLatency}: {@code cumulative} gives the count
     * at or below {@code boundSeconds(i)}, and for {@code i == boundCount()} (+Inf) the total count.
     */
    static void writeBuckets(MetricsWriter out, String name, String[] labels, IntToLongFunction cumulative, double sumSeconds) {
        String[] withLe = new String[labels.length + 2];
        System.arraycopy(labels, 0, withLe, 0, labels.length);
        withLe[labels.length] = "le";
        for (int i = 0; i < BucketedLatency.boundCount(); i++) {
            withLe[labels.length + 1] = Double.toString(BucketedLatency.boundSeconds(i));
            out.sample(name + "_bucket", cumulative.applyAsLong(i), withLe);
        }
        long count = cumulative.applyAsLong(BucketedLatency.boundCount());
        withLe[labels.length + 1] = "+Inf";
        out.sample(name + "_bucket", count, withLe);
        out.sample(name + "_sum", sumSeconds, labels);
        out.sample(name + "_count", count, labels);
    }
}
