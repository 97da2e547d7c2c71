package io.pharos.proxy.cluster;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.health.EndpointId;
import io.pharos.health.config.HostPort;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One backend instance and its live state. The object lives as long as its identity
 * ({@link EndpointId}: cluster and name) stays in the config, across reloads: its counters, in-flight
 * count and pooled connections survive a reload that keeps it. Snapshots reference it; they never copy it.
 *
 * <p>Thread safety: identity and address are final; live state is atomics written from any event loop.
 */
public final class Backend {
    /**
     * The outcome of the last active check of a backend.
     *
     * @param ok       whether the probe passed
     * @param result   {@code ok}, or what failed: {@code connect refused}, {@code timeout}, {@code status 500}, ...
     * @param atMillis wall-clock time of the result
     */
    public record CheckResult(boolean ok, String result, long atMillis) {
    }

    private final EndpointId id;
    private final HostPort address;
    private final InetSocketAddress socketAddress;

    /** Requests (L7) or connections (L4) in flight; written by event loops. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Every traffic counter of this backend; written by event loops. */
    private final BackendStats stats = new BackendStats();
    /** Counts wire bytes into {@link #stats}; shared by every connection to this backend. */
    private final BackendByteCounter byteCounter = new BackendByteCounter(stats);
    /** Open connections to this backend (closed ones leave by themselves), so a drain deadline can close them. */
    private final ChannelGroup connections;
    /** Peak-EWMA of response latency in nanoseconds, as double bits (0: no sample yet); written by event loops. */
    private final AtomicLong latencyEwmaBits = new AtomicLong();
    /** {@code nowNanos} of the last latency sample; written by event loops with {@link #latencyEwmaBits}. */
    private final AtomicLong latencyStampNanos = new AtomicLong();
    /** Decay time of the latency EWMA; written by the control thread when a peak-ewma balancer is built. */
    private volatile long latencyDecayNanos = TimeUnit.SECONDS.toNanos(10);
    /**
     * Set once by the control thread when a reload removes this backend: pools close its idle
     * connections and stop pooling new ones.
     */
    private volatile boolean removed;
    /** The last active check's outcome, null before the first; written by the check session's loop. */
    private volatile CheckResult lastCheck;

    /** Resolves the address now: may block on DNS, so call on the control thread. */
    public Backend(EndpointId id, HostPort address) {
        this.id = id;
        this.address = address;
        this.socketAddress = address.resolve();
        this.connections = new DefaultChannelGroup(id.toString(), GlobalEventExecutor.INSTANCE);
    }

    public EndpointId id() {
        return id;
    }

    public String name() {
        return id.backend();
    }

    public HostPort address() {
        return address;
    }

    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Called when a request or connection starts using this backend. */
    public void onStart() {
        inFlight.incrementAndGet();
        stats.onRequest();
    }

    /** Called exactly once for every {@link #onStart()}. */
    public void onEnd() {
        inFlight.decrementAndGet();
    }

    /**
     * Records the latency of one response (any thread; lock-free). Peak EWMA as in Finagle: a sample
     * above the current value replaces it at once, a lower one is blended in with weight
     * {@code 1 - exp(-elapsed / decay)} where elapsed is the time since the previous sample.
     *
     * @param nowNanos the same clock the balancer reads ({@link System#nanoTime()} in production)
     */
    public void recordLatencyNanos(long latencyNanos, long nowNanos) {
        if (latencyNanos < 0) {
            throw new IllegalArgumentException("latencyNanos: " + latencyNanos + " (expected: >= 0)");
        }
        long previousStamp = latencyStampNanos.getAndSet(nowNanos);
        double w = Math.exp(-(double) Math.max(0, nowNanos - previousStamp) / latencyDecayNanos);
        double sample = latencyNanos;
        while (true) {
            long bits = latencyEwmaBits.get();
            double current = Double.longBitsToDouble(bits);
            double next = current == 0 || sample > current ? sample : current * w + sample * (1 - w);
            if (latencyEwmaBits.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }

    /**
     * The latency EWMA decayed to {@code nowNanos} as if a zero sample arrived then (Finagle's read),
     * without writing anything; 0 while there is no sample. Not decayed within 1/64 of the decay time
     * of the last sample (under 1.6 % off), which spares the {@code exp} for backends in use.
     */
    public double latencyEwmaNanos(long nowNanos) {
        double current = Double.longBitsToDouble(latencyEwmaBits.get());
        if (current == 0) {
            return 0;
        }
        long elapsed = nowNanos - latencyStampNanos.get();
        long decay = latencyDecayNanos;
        // within decay/64 of the last sample the factor is above 0.984: skip the exp on busy backends
        return elapsed <= decay >> 6 ? current : current * Math.exp(-(double) elapsed / decay);
    }

    /** Control thread: the decay time of the latency EWMA (config {@code ewma-decay}). */
    public void setLatencyDecayNanos(long decayNanos) {
        if (decayNanos <= 0) {
            throw new IllegalArgumentException("decayNanos: " + decayNanos + " (expected: > 0)");
        }
        latencyDecayNanos = decayNanos;
    }

    /** The last active check's outcome, or null when none ran yet (or the cluster has no active checks). */
    public CheckResult lastCheck() {
        return lastCheck;
    }

    /** The check session's loop, after every probe (not the request path). */
    public void recordCheck(CheckResult result) {
        lastCheck = result;
    }

    /** The handler that goes first in every pipeline of a connection to this backend (wire byte counters). */
    public BackendByteCounter byteCounter() {
        return byteCounter;
    }

    public BackendStats stats() {
        return stats;
    }

    /** Open connections to this backend; the data plane adds each one it opens (any thread). */
    public ChannelGroup connections() {
        return connections;
    }

    public boolean isRemoved() {
        return removed;
    }

    /** Control thread, once, when a reload drops this backend. */
    public void markRemoved() {
        removed = true;
    }

    @Override
    public String toString() {
        return id + "@" + address;
    }
}
