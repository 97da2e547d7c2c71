package io.pharos.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SingleWriterRecorder;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What one event loop measured: a latency recorder (nanoseconds) and counters for bytes and errors.
 * Written only by its event loop (single writer, hence lazy sets); read by the main thread, which swaps the
 * recorder's interval histograms once per second.
 */
final class LoopStats {
    private final SingleWriterRecorder latency = new SingleWriterRecorder(3);
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLongArray errors = new AtomicLongArray(ErrorKind.values().length);

    /** Event loop only. */
    void recordLatencyNanos(long nanos) {
        latency.recordValue(Math.max(0, nanos));
    }

    /** Event loop only. */
    void addBytes(long n) {
        bytes.lazySet(bytes.get() + n);
    }

    /** Event loop only. */
    void error(ErrorKind kind) {
        errors.lazySet(kind.ordinal(), errors.get(kind.ordinal()) + 1);
    }

    /** Main thread: the latencies recorded since the previous call. */
    Histogram intervalHistogram(Histogram recycle) {
        return latency.getIntervalHistogram(recycle);
    }

    long bytes() {
        return bytes.get();
    }

    long errors(ErrorKind kind) {
        return errors.get(kind.ordinal());
    }
}
