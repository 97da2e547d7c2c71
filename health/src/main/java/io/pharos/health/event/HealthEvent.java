package io.pharos.health.event;

import java.util.Objects;

/**
 * One change of health: a backend's state flip, a change in a cluster's healthy count, a cluster
 * going down or recovering. Immutable; created on whatever thread observed the change and handed to
 * the publisher thread.
 *
 * @param timeMillis   wall-clock time of the change (epoch millis)
 * @param kind         what changed
 * @param region       the region of the proxy that saw it (config {@code events.region})
 * @param cluster      cluster name
 * @param backend      backend name, empty for cluster-level events
 * @param oldState     previous state (a {@link io.pharos.health.HealthState} wire name, or {@code up}/{@code down} for clusters)
 * @param newState     new state, same vocabulary
 * @param reason       why, in a few words ({@code connect refused}, {@code status 500}, {@code 5 consecutive failures}, ...)
 * @param healthyCount backends of the cluster usable for traffic after the change
 * @param totalCount   backends of the cluster
 */
public record HealthEvent(
        long timeMillis,
        Kind kind,
        String region,
        String cluster,
        String backend,
        String oldState,
        String newState,
        String reason,
        int healthyCount,
        int totalCount) {

    public enum Kind {
        BACKEND_STATE(1),
        CLUSTER_HEALTHY_COUNT(2),
        CLUSTER_DOWN(3),
        CLUSTER_RECOVERED(4);

        /** Stable code used in the binary event layout. */
        public final int code;

        Kind(int code) {
            this.code = code;
        }

        public static Kind fromCode(int code) {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown event kind code: " + code);
        }
    }

    public HealthEvent {
        Objects.requireNonNull(kind, "kind");
        region = Objects.requireNonNullElse(region, "");
        Objects.requireNonNull(cluster, "cluster");
        backend = Objects.requireNonNullElse(backend, "");
        oldState = Objects.requireNonNullElse(oldState, "");
        newState = Objects.requireNonNullElse(newState, "");
        reason = Objects.requireNonNullElse(reason, "");
    }

    @Override
    public String toString() {
        return kind + " " + region + ":" + cluster + (backend.isEmpty() ? "" : "/" + backend)
                + " " + oldState + " -> " + newState + " (" + reason + ") healthy " + healthyCount + "/" + totalCount;
    }
}
