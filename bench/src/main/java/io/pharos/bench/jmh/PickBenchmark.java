package io.pharos.bench.jmh;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.Algorithm;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;
import io.pharos.proxy.config.PharosConfig.HashKey;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@link LoadBalancer#pick} per algorithm and cluster size, on one and on two threads sharing the
 * balancer (the cursor and the in-flight counters are shared the way event loops share them).
 * Backends have unequal weights (100..400) and peak-ewma has latency samples; hashing algorithms
 * hash a header that takes 1024 distinct values. Run with {@code -prof gc} to see B/op; the command
 * is in {@code bench/results/jmh-pick-*.md}. {@link PickCpuTime} measures the same picks in thread CPU time.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PickBenchmark {
    static final int CONTEXTS = 1024;

    @Param({"round-robin", "weighted-round-robin", "random", "least-request", "peak-ewma", "ring-hash", "maglev"})
    public String algorithm;

    @Param({"3", "16", "256"})
    public int backends;

    /** Written once by JMH's setup before the measured threads start. */
    private LoadBalancer lb;

    @Setup
    public void setUp() {
        lb = newBalancer(algorithm, backends);
    }

    /** The balancer under test: {@code n} weighted backends with latency samples, built once. */
    static LoadBalancer newBalancer(String algorithm, int n) {
        Algorithm a = Algorithm.valueOf(algorithm.toUpperCase(Locale.ROOT).replace('-', '_'));
        BalancerConfig config = new BalancerConfig(a, Optional.of(HashKey.parse("header:X-User")), 2,
                Duration.ofSeconds(10), 1024, 65537, 50, Duration.ZERO, 0.1);
        long now = System.nanoTime();
        List<ClusterMember> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Backend b = new Backend(new EndpointId("bench", "b" + i), new HostPort("127.0.0.1", 10000 + i));
            b.recordLatencyNanos(TimeUnit.MICROSECONDS.toNanos(500 + 37L * i), now);
            members.add(new ClusterMember(b, 100 * (1 + i % 4), HealthState.HEALTHY, now - TimeUnit.HOURS.toNanos(1)));
        }
        return ConfiguredLoadBalancerFactory.of(config).newLoadBalancer(null, members);
    }

    /** Request contexts with distinct hash keys. */
    static PickContext[] contexts() {
        PickContext[] contexts = new PickContext[CONTEXTS];
        for (int i = 0; i < CONTEXTS; i++) {
            contexts[i] = new PickContext().reset(new DefaultHttpHeaders().set("X-User", "user-" + i), null);
        }
        return contexts;
    }

    /** One per benchmark thread: request contexts with distinct hash keys, cycled. */
    @State(Scope.Thread)
    public static class Requests {
        private final PickContext[] contexts = contexts();
        /** Written by its own benchmark thread only. */
        private int next;

        PickContext next() {
            return contexts[next++ & (CONTEXTS - 1)];
        }
    }

    @Benchmark
    @Threads(1)
    public Backend pick1Thread(Requests requests) {
        return lb.pick(requests.next());
    }

    @Benchmark
    @Threads(2)
    public Backend pick2Threads(Requests requests) {
        return lb.pick(requests.next());
    }
}
