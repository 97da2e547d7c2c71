package io.pharos.proxy.lb;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;
import io.pharos.proxy.config.PharosConfig.HashKey;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Builders for balancer unit tests: loopback backends, members, configs, pick contexts. */
final class TestMembers {
    static final String KEY_HEADER = "X-User";

    private TestMembers() {
    }

    static Backend backend(String name) {
        return new Backend(new EndpointId("app", name), new HostPort("127.0.0.1", 9000));
    }

    static List<Backend> backends(int n) {
        List<Backend> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(backend("b" + i));
        }
        return list;
    }

    static ClusterMember member(Backend b, int weight) {
        return new ClusterMember(b, weight, HealthState.HEALTHY, 0);
    }

    static ClusterMember member(Backend b, int weight, HealthState state) {
        return new ClusterMember(b, weight, state, 0);
    }

    static List<ClusterMember> members(List<Backend> backends, int... weights) {
        List<ClusterMember> list = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            list.add(member(backends.get(i), weights.length == 0 ? 100 : weights[i]));
        }
        return list;
    }

    static BalancerConfig config(Algorithm algorithm) {
        return config(algorithm, 50, Duration.ZERO);
    }

    static BalancerConfig config(Algorithm algorithm, int panicThreshold, Duration slowStart) {
        return config(algorithm, "header:" + KEY_HEADER, panicThreshold, slowStart);
    }

    static BalancerConfig config(Algorithm algorithm, String hashKey, int panicThreshold, Duration slowStart) {
        return new BalancerConfig(algorithm, Optional.of(HashKey.parse(hashKey)), 2,
                Duration.ofSeconds(10), 1024, 65537, panicThreshold, slowStart, 0.1);
    }

    static BalancerConfig hashConfig(Algorithm algorithm, String hashKey, int ringSize, int tableSize) {
        return new BalancerConfig(algorithm, Optional.of(HashKey.parse(hashKey)), 2,
                Duration.ofSeconds(10), ringSize, tableSize, 50, Duration.ZERO, 0.1);
    }

    static LoadBalancer build(BalancerConfig config, List<ClusterMember> members) {
        return ConfiguredLoadBalancerFactory.of(config).newLoadBalancer(null, members);
    }

    static PickContext plain() {
        return new PickContext().reset(null, null);
    }

    static HttpHeaders keyHeaders(String key) {
        return new DefaultHttpHeaders().set(KEY_HEADER, key);
    }

    /** Index of {@code picked} in {@code backends}; fails on a backend from elsewhere. */
    static int indexOf(List<Backend> backends, Backend picked) {
        for (int i = 0; i < backends.size(); i++) {
            if (backends.get(i) == picked) {
                return i;
            }
        }
        throw new AssertionError("picked " + picked + ", not one of " + backends);
    }
}
