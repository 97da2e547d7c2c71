package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Builds a {@link LoadBalancer} for one list of members, off the hot path (control thread). May carry
 * state over from the balancer it replaces (a cursor, a hash ring it can reuse).
 */
public interface LoadBalancerFactory {

    /** @param old the balancer being replaced, or {@code null}; it may be of another algorithm */
    LoadBalancer newLoadBalancer(LoadBalancer old, List<ClusterMember> members);

    /** The factory for a cluster's {@code balancer} settings, on the {@link System#nanoTime()} clock. */
    static LoadBalancerFactory of(BalancerConfig config) {
        return of(config, System::nanoTime);
    }

    /**
     * The factory for a cluster's {@code balancer} settings.
     *
     * @param nanoClock the clock of {@link ClusterMember#readySinceNanos()} (slow start) and of
     *                  {@link io.pharos.proxy.cluster.Backend#recordLatencyNanos} (peak-ewma)
     */
    static LoadBalancerFactory of(BalancerConfig config, LongSupplier nanoClock) {
        return new ConfiguredLoadBalancerFactory(config, nanoClock);
    }
}
