package io.pharos.proxy.metrics;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.EventExecutor;
import io.pharos.proxy.cluster.Backend;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Counters of one listener (by name, kept across reloads that keep or change the listener): accepted
 * connections, bytes, responses by status class, latency, and the access log. Bumped on event loops
 * without locks or allocation (the access log allocates one record per request when enabled).
 */
public final class ListenerMetrics {
    private final String listener;
    private final LongSupplier nanoClock;
    private final LatencyHistogram latency;
    private final AccessLog accessLog;
    private final LongAdder[] responses = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    private final LongAdder connections = new LongAdder();
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();

    public ListenerMetrics(String listener, Iterable<? extends EventExecutor> loops, LongSupplier nanoClock, AccessLog accessLog) {
        this.listener = listener;
        this.nanoClock = nanoClock;
        this.latency = new LatencyHistogram(loops);
        this.accessLog = accessLog;
    }

    /** Metrics of a listener outside a running server (unit tests): nothing is exported. */
    public static ListenerMetrics detached(String listener) {
        return new ListenerMetrics(listener, List.of(), System::nanoTime, AccessLog.disabled());
    }

    public String listener() {
        return listener;
    }

    public long nanoTime() {
        return nanoClock.getAsLong();
    }

    public LatencyHistogram latency() {
        return latency;
    }

    /** The latency sink for a channel on {@code loop}. */
    public LatencyHistogram.Sink latencySink(EventExecutor loop) {
        return latency.sinkFor(loop);
    }

    /**
     * A response head went to the client (HTTP). {@code backend} is null when the proxy answered
     * itself; latency is from the request head's arrival to the response head. Event loop.
     */
    public void onResponse(LatencyHistogram.Sink sink, HttpRequest request, Backend backend, int status, long startNanos) {
        long nanos = Math.max(0, nanoClock.getAsLong() - startNanos);
        int cls = status / 100;
        if (cls >= 1 && cls <= 5) {
            responses[cls - 1].increment();
        }
        sink.record(nanos);
        if (backend != null) {
            backend.stats().onResponse(status);
        }
        if (accessLog.enabled() && request != null) {
            accessLog.log(listener, request.method().name(), request.uri(), status,
                    backend == null ? null : backend.name(), nanos);
        }
    }

    public void onConnection() {
        connections.increment();
    }

    public void addBytesIn(long n) {
        bytesIn.add(n);
    }

    public void addBytesOut(long n) {
        bytesOut.add(n);
    }

    public long responses(int cls) {
        return responses[cls - 1].sum();
    }

    public long connections() {
        return connections.sum();
    }

    public long bytesIn() {
        return bytesIn.sum();
    }

    public long bytesOut() {
        return bytesOut.sum();
    }
}
