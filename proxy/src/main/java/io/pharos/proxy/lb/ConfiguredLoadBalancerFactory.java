package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;
import io.pharos.proxy.lb.PowerOfChoicesLoadBalancer.Load;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The {@link LoadBalancerFactory} of one {@link BalancerConfig}: selects the candidates (panic
 * threshold), sets up slow start, and builds the configured algorithm. Control thread.
 */
final class ConfiguredLoadBalancerFactory implements LoadBalancerFactory {
    private final BalancerConfig config;
    private final LongSupplier nanoClock;
    private final RequestKeyHasher hasher;

    ConfiguredLoadBalancerFactory(BalancerConfig config, LongSupplier nanoClock) {
        this.config = config;
        this.nanoClock = nanoClock;
        this.hasher = config.hashKey().map(RequestKeyHasher::new).orElse(null);
        boolean hashing = switch (config.algorithm()) {
            case RING_HASH, MAGLEV -> true;
            default -> false;
        };
        if (hashing && hasher == null) {
            throw new IllegalArgumentException("balancer " + config.algorithm() + " needs a hash-key");
        }
    }

    @Override
    public LoadBalancer newLoadBalancer(LoadBalancer old, List<ClusterMember> members) {
        Candidates candidates = Candidates.select(members, config.panicThreshold());
        SlowStart slowStart = SlowStart.of(candidates, config.slowStart(), config.slowStartFloor(), nanoClock);
        return switch (config.algorithm()) {
            case ROUND_ROBIN -> new RoundRobinLoadBalancer(old, candidates, slowStart);
            case WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobinLoadBalancer(old, candidates, slowStart);
            case RANDOM -> new RandomLoadBalancer(old, candidates, slowStart);
            case LEAST_REQUEST -> new PowerOfChoicesLoadBalancer(old, candidates, slowStart, Load.IN_FLIGHT,
                    config.choiceCount(), nanoClock);
            case PEAK_EWMA -> {
                long decay = config.ewmaDecay().toNanos();
                for (ClusterMember m : members) {
                    m.backend().setLatencyDecayNanos(decay);
                }
                yield new PowerOfChoicesLoadBalancer(old, candidates, slowStart, Load.PEAK_EWMA,
                        config.choiceCount(), nanoClock);
            }
            case RING_HASH -> new RingHashLoadBalancer(old, candidates, hasher, config.minRingSize(),
                    fallback(candidates));
            case MAGLEV -> new MaglevLoadBalancer(old, candidates, hasher, config.maglevTableSize(),
                    fallback(candidates));
        };
    }

    /** Weighted random without slow start, for requests that lack the hash key. */
    private RandomLoadBalancer fallback(Candidates candidates) {
        return new RandomLoadBalancer(null, candidates, SlowStart.of(candidates, Duration.ZERO, 1, nanoClock));
    }
}
