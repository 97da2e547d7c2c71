package io.pharos.health;

import java.util.Locale;

/**
 * The health of one backend as selection sees it. The wire name (lower case) is what the admin API,
 * the event log and the event IPC show.
 */
public enum HealthState {
    /** No verdict yet: counts as healthy for traffic unless the cluster starts pessimistic. */
    UNKNOWN,
    HEALTHY,
    /** Failed active checks. */
    UNHEALTHY,
    /** Taken out by passive outlier detection for a while. */
    EJECTED,
    /** Taken out by an operator: no new requests, in-flight ones finish. */
    DRAINING;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    public String wireName() {
        return wireName;
    }

    /** Whether new traffic may go to a backend in this state (before weights and panic routing). */
    public boolean acceptsTraffic() {
        return this == HEALTHY || this == UNKNOWN;
    }

    public static HealthState fromWireName(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
