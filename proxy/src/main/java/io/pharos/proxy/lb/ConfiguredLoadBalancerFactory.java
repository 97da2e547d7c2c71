package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.LoadBalancerFactory;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;
import io.pharos.proxy.lb.PowerOfChoicesLoadBalancer.Load;

import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The {@link LoadBalancerFactory} of one {@link BalancerConfig}: selects the candidates (panic
 * threshold), sets up slow start, and builds the configured algorithm. Control thread. The composition
 * root gives clusters {@code ConfiguredLoadBalancerFactory::of} as their {@link LoadBalancerFactory.ForConfig}.
 */
public final class ConfiguredLoadBalancerFactory implements LoadBalancerFactory {
    private final BalancerConfig config;
    private final LongSupplier nanoClock;
    private final RequestKeyHasher hasher;

    /** The factory for a cluster's {@code balancer} settings, on the {@link System#nanoTime()} clock. */
    public static LoadBalancerFactory of(BalancerConfig config) {
        return of(config, System::nanoTime);
    }

    /**
     * The factory for a cluster's {@code balancer} settings.
     *
     * @param nanoClock the clock of {@link ClusterMember#readySinceNanos()} (slow start) and of
     *                  {@link io.pharos.proxy.cluster.Backend#recordLatencyNanos} (peak-ewma)
     * @throws IllegalArgumentException when the settings name a hashing balancer without a hash key
     */
    public static LoadBalancerFactory of(BalancerConfig config, LongSupplier nanoClock) {
        return new ConfiguredLoadBalancerFactory(config, nanoClock);
    }

    private ConfiguredLoadBalancerFactory(BalancerConfig config, LongSupplier nanoClock) {
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
            // smooth WRR generalises round robin: equal weights give the plain rotation, and weights are honoured
            case ROUND_ROBIN, WEIGHTED_ROUND_ROBIN -> new WeightedRoundRobinLoadBalancer(old, candidates, slowStart);
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
