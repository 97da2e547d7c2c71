package io.pharos.proxy.metrics;

import io.pharos.health.HealthState;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;

/**
 * Counts ejections by watching a cluster's publications: a member whose state is {@code ejected} now
 * and was not in the previous snapshot (same backend object) was ejected once. Independent of who
 * decides ejections. Runs on the publishing writer's thread, after the swap.
 */
public final class EjectionCounter implements Cluster.Listener {
    public static final EjectionCounter INSTANCE = new EjectionCounter();

    private EjectionCounter() {
    }

    @Override
    public void onPublished(Cluster cluster, ClusterSnapshot previous, ClusterSnapshot current) {
        for (ClusterMember m : current.members()) {
            if (m.state() != HealthState.EJECTED) {
                continue;
            }
            ClusterMember before = previous.member(m.backend().name());
            if (before == null || before.backend() != m.backend() || before.state() != HealthState.EJECTED) {
                m.backend().stats().onEjected();
            }
        }
    }
}
