package io.pharos.proxy.health;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;

import java.util.function.LongSupplier;

/**
 * Turns every publication of a cluster into health events, by diffing the previous and the current
 * snapshot: one {@code BACKEND_STATE} per backend whose state changed (in config order), then
 * {@code CLUSTER_HEALTHY_COUNT} if the usable count changed, then {@code CLUSTER_DOWN} (usable count
 * reached 0) or {@code CLUSTER_RECOVERED} (left 0). Runs on the writer's thread, right after the
 * publication; only offers to the publisher's queue, never blocks.
 *
 * <p>Each event carries the reason the cluster kept with the member's state change
 * ({@link io.pharos.proxy.cluster.MemberStatus#reason()}), the same one {@code GET /clusters} shows.
 */
final class ClusterEventEmitter implements Cluster.Listener {
    private final String region;
    private final HealthEventPublisher publisher;
    private final LongSupplier wallClockMillis;

    ClusterEventEmitter(String region, HealthEventPublisher publisher, LongSupplier wallClockMillis) {
        this.region = region;
        this.publisher = publisher;
        this.wallClockMillis = wallClockMillis;
    }

    @Override
    public void onPublished(Cluster cluster, ClusterSnapshot previous, ClusterSnapshot current) {
        long now = wallClockMillis.getAsLong();
        int total = current.members().size();
        int usable = current.usableCount();
        for (ClusterMember m : current.members()) {
            ClusterMember before = previous.member(m.backend().name());
            if (before == null || before.state() == m.state()) {
                continue;
            }
            String reason = m.status().reason();
            publisher.publish(new HealthEvent(now, HealthEvent.Kind.BACKEND_STATE, region, cluster.name(),
                    m.backend().name(), before.state().wireName(), m.state().wireName(), reason, usable, total));
        }
        int usableBefore = previous.usableCount();
        if (previous.members().isEmpty() || usableBefore == usable) {
            return;
        }
        publisher.publish(new HealthEvent(now, HealthEvent.Kind.CLUSTER_HEALTHY_COUNT, region, cluster.name(), "",
                Integer.toString(usableBefore), Integer.toString(usable), "healthy backends " + usableBefore + " -> " + usable,
                usable, total));
        if (usable == 0) {
            publisher.publish(new HealthEvent(now, HealthEvent.Kind.CLUSTER_DOWN, region, cluster.name(), "",
                    "up", "down", "no usable backend", 0, total));
        } else if (usableBefore == 0) {
            publisher.publish(new HealthEvent(now, HealthEvent.Kind.CLUSTER_RECOVERED, region, cluster.name(), "",
                    "down", "up", usable + " usable backends", usable, total));
        }
    }
}
