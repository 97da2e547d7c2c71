package io.pharos.proxy.cluster;

import io.pharos.proxy.config.PharosConfig.BalancerConfig;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * Builds a {@link LoadBalancer} for one list of members, off the hot path (control thread). May carry
 * state over from the balancer it replaces (a cursor, a hash ring it can reuse). The algorithms live
 * in {@code io.pharos.proxy.lb}, above this package; a {@link Cluster} gets them injected as a
 * {@link ForConfig}.
 */
public interface LoadBalancerFactory {

    /** @param old the balancer being replaced, or {@code null}; it may be of another algorithm */
    LoadBalancer newLoadBalancer(LoadBalancer old, List<ClusterMember> members);

    /** Makes the factory for a cluster's {@code balancer} settings; control thread. */
    @FunctionalInterface
    interface ForConfig {
        /**
         * @param nanoClock the clock of {@link ClusterMember#readySinceNanos()} (slow start) and of
         *                  {@link Backend#recordLatencyNanos} (peak-ewma)
         * @throws IllegalArgumentException when this build cannot balance with {@code config}
         */
        LoadBalancerFactory forConfig(BalancerConfig config, LongSupplier nanoClock);
    }
}
