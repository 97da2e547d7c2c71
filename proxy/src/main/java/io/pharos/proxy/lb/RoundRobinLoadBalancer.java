package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Plain round robin over usable members, ignoring weights beyond 0. */
final class RoundRobinLoadBalancer implements LoadBalancer {
    private final ClusterMember[] members;
    /** Shared with the balancer this one replaced, so a reload does not restart the rotation. */
    private final AtomicInteger cursor;

    RoundRobinLoadBalancer(LoadBalancer old, List<ClusterMember> members) {
        this.members = members.toArray(new ClusterMember[0]);
        this.cursor = old instanceof RoundRobinLoadBalancer rr ? rr.cursor : new AtomicInteger();
    }

    @Override
    public Backend pick(PickContext ctx) {
        int n = members.length;
        if (n == 0) {
            return null;
        }
        int start = cursor.getAndIncrement() & Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            ClusterMember m = members[(start + i) % n];
            if (m.isUsable() && !ctx.isTried(m.backend())) {
                return m.backend();
            }
        }
        return null;
    }
}
