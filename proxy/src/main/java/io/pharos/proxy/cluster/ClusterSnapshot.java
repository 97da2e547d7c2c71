package io.pharos.proxy.cluster;

import io.pharos.proxy.config.PharosConfig.ClusterConfig;

import java.util.List;

/**
 * One immutable view of a cluster: its members (with weights and states) and the load balancer built
 * for exactly these members. Readers copy the reference once per request and use only that copy.
 */
public final class ClusterSnapshot {
    private final String name;
    private final ClusterConfig config;
    private final long version;
    private final List<ClusterMember> members;
    private final LoadBalancer loadBalancer;
    private final int usableCount;

    public ClusterSnapshot(String name, ClusterConfig config, long version, List<ClusterMember> members, LoadBalancer loadBalancer) {
        this.name = name;
        this.config = config;
        this.version = version;
        this.members = List.copyOf(members);
        this.loadBalancer = loadBalancer;
        int usable = 0;
        for (ClusterMember m : this.members) {
            if (m.isUsable()) {
                usable++;
            }
        }
        this.usableCount = usable;
    }

    public String name() {
        return name;
    }

    /** The cluster's settings (timeouts, retries, balancer) this snapshot was built with. */
    public ClusterConfig config() {
        return config;
    }

    /** Increases by one with every publication of the cluster. */
    public long version() {
        return version;
    }

    public List<ClusterMember> members() {
        return members;
    }

    public LoadBalancer loadBalancer() {
        return loadBalancer;
    }

    /** Members selection may use (healthy or unknown, not draining, weight above 0). */
    public int usableCount() {
        return usableCount;
    }

    public ClusterMember member(String backendName) {
        for (ClusterMember m : members) {
            if (m.backend().name().equals(backendName)) {
                return m;
            }
        }
        return null;
    }
}
