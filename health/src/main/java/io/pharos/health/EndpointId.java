package io.pharos.health;

import java.util.Objects;

/**
 * The identity of one backend: its cluster and its name. Identity, not address, is what survives a
 * reload: a backend keeps its health state and counters as long as its cluster and name stay the same.
 */
public record EndpointId(String cluster, String backend) {
    public EndpointId {
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(backend, "backend");
    }

    @Override
    public String toString() {
        return cluster + '/' + backend;
    }
}
