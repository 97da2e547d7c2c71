package io.pharos.proxy.cluster;

import io.pharos.proxy.cluster.Backend;

/**
 * Picks a backend for one request or connection, on an event loop. Built for one immutable list of
 * members by a {@link LoadBalancerFactory}; {@link #pick} allocates nothing, blocks on nothing, locks
 * nothing: its only mutable state is atomics.
 */
public interface LoadBalancer {

    /**
     * Returns a usable backend not yet tried by {@code ctx}, or {@code null} when there is none (the
     * caller answers 503). Never returns a draining or weight-0 backend.
     */
    Backend pick(PickContext ctx);
}
