package io.pharos.proxy.cluster;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.health.EndpointId;
import io.pharos.proxy.config.HostPort;
import io.pharos.proxy.metrics.BackendStats;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * One backend instance and its live state. The object lives as long as its identity
 * ({@link EndpointId}: cluster and name) stays in the config, across reloads: its counters, in-flight
 * count and pooled connections survive a reload that keeps it. Snapshots reference it; they never copy it.
 *
 * <p>Thread safety: identity and address are final; live state is atomics written from any event loop.
 */
public final class Backend {
    private final EndpointId id;
    private final HostPort address;
    private final InetSocketAddress socketAddress;

    /** Requests (L7) or connections (L4) in flight; written by event loops. */
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Requests or connections started; written by event loops. */
    private final LongAdder requests = new LongAdder();
    /** Backend connections opened; written by event loops. */
    private final LongAdder connectionsOpened = new LongAdder();
    /** Failures seen by the request path (connect failures, resets, timeouts, 5xx gateway errors). */
    private final LongAdder failures = new LongAdder();
    /** Responses by status class and bytes; written by event loops. */
    private final BackendStats stats = new BackendStats();
    /** Open connections to this backend (closed ones leave by themselves), so a drain deadline can close them. */
    private final ChannelGroup connections;
    /**
     * Set once by the control thread when a reload removes this backend: pools close its idle
     * connections and stop pooling new ones.
     */
    private volatile boolean removed;

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
        requests.increment();
    }

    /** Called exactly once for every {@link #onStart()}. */
    public void onEnd() {
        inFlight.decrementAndGet();
    }

    public void onConnectionOpened() {
        connectionsOpened.increment();
    }

    public void onFailure() {
        failures.increment();
    }

    public long requests() {
        return requests.sum();
    }

    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    public long failures() {
        return failures.sum();
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
