package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;

import java.util.List;

/**
 * Builds a {@link LoadBalancer} for one list of members, off the hot path (control thread). May carry
 * state over from the balancer it replaces (a cursor, a hash ring it can patch).
 */
public interface LoadBalancerFactory {

    /** @param old the balancer being replaced, or {@code null}; it may be of another algorithm */
    LoadBalancer newLoadBalancer(LoadBalancer old, List<ClusterMember> members);

    /** The factory for a cluster's {@code balancer} settings. */
    static LoadBalancerFactory of(BalancerConfig config) {
        return switch (config.algorithm()) {
            case ROUND_ROBIN -> RoundRobinLoadBalancer::new;
            default -> throw new IllegalArgumentException("balancer not implemented yet: " + config.algorithm());
        };
    }
}
