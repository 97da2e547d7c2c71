package io.pharos.proxy.cluster;

import io.pharos.health.HealthState;

/**
 * A backend as one snapshot sees it: the live {@link Backend} plus the weight and state that were
 * current when the snapshot was built. Immutable.
 *
 * @param backend        the live backend
 * @param weight         0..65535; 0 takes no new traffic
 * @param state          health or operator state at build time
 * @param readySinceNanos {@link System#nanoTime()} when it last became usable (slow start ramps from here)
 * @param status         where the weight comes from and why it is in its state (admin API, health events)
 */
public record ClusterMember(Backend backend, int weight, HealthState state, long readySinceNanos, MemberStatus status) {

    /** A member straight from the config: {@code weight} is the config's, no reason beyond {@code config}. */
    public ClusterMember(Backend backend, int weight, HealthState state, long readySinceNanos) {
        this(backend, weight, state, readySinceNanos, MemberStatus.fromConfig(weight));
    }

    /** Whether selection may send new traffic here (outside panic routing). */
    public boolean isUsable() {
        return weight > 0 && state.acceptsTraffic();
    }

    /** Whether panic routing may send new traffic here: everything an operator has not taken out. */
    public boolean isPanicUsable() {
        return weight > 0 && state != HealthState.DRAINING;
    }
}
