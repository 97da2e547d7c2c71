package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Power of d choices (Envoy's least-request, Finagle's/Linkerd's peak-EWMA): draws {@code choiceCount}
 * untried candidates with probability proportional to weight (slow start thins out the draws of a
 * ramping candidate, see {@link SlowStart}) and keeps the least loaded one, load being divided by
 * the weight:
 * <ul>
 *   <li>{@link Load#IN_FLIGHT}: in-flight requests / weight;</li>
 *   <li>{@link Load#PEAK_EWMA}: peak EWMA of latency × (in-flight + 1) / weight. A candidate without
 *       a latency sample yet is compared by in-flight alone, so a new backend is neither flooded nor starved.</li>
 * </ul>
 * Ties keep the first draw, so an idle cluster is split exactly by weight. Draws may repeat a
 * candidate (as in Envoy); a tried candidate is redrawn within {@link Selection#MAX_ATTEMPTS}.
 *
 * <p>Stateless apart from the backends' atomics; any event loop.
 */
final class PowerOfChoicesLoadBalancer implements LoadBalancer, AliasTable.Owner {
    enum Load { IN_FLIGHT, PEAK_EWMA }

    private final Candidates candidates;
    private final SlowStart slowStart;
    private final AliasTable table;
    private final Load load;
    private final int choiceCount;
    private final LongSupplier nanoClock;

    PowerOfChoicesLoadBalancer(LoadBalancer old, Candidates candidates, SlowStart slowStart, Load load,
                               int choiceCount, LongSupplier nanoClock) {
        if (choiceCount < 1) {
            throw new IllegalArgumentException("choiceCount: " + choiceCount + " (expected: >= 1)");
        }
        this.candidates = candidates;
        this.table = AliasTable.reuseOrBuild(candidates, old);
        this.slowStart = slowStart;
        this.load = load;
        this.choiceCount = choiceCount;
        this.nanoClock = nanoClock;
    }

    @Override
    public Backend pick(PickContext ctx) {
        Backend[] backends = candidates.backends;
        if (backends.length == 0) {
            return null;
        }
        int[] weights = candidates.weights;
        boolean latencyAware = load == Load.PEAK_EWMA;
        long rampNow = slowStart.now();
        long now = latencyAware ? nanoClock.getAsLong() : 0;
        int best = -1;
        long bestActive = 0;
        long bestWeight = 1;
        double bestLatency = 0;
        int drawn = 0;
        int last = 0;
        long random = 0;
        for (int a = 0; a < Selection.MAX_ATTEMPTS && drawn < choiceCount; a++) {
            // one random long per two draws
            if ((a & 1) == 0) {
                random = ThreadLocalRandom.current().nextLong();
            }
            int i = table.index((int) random);
            random >>>= 32;
            last = i;
            Backend b = backends[i];
            if (ctx.isTried(b) || (rampNow != SlowStart.NOT_RAMPING && !slowStart.accept(i, rampNow))) {
                continue;
            }
            drawn++;
            long active = b.inFlight();
            long weight = weights[i];
            double latency = latencyAware ? b.latencyEwmaNanos(now) : 0;
            // loads compared cross-multiplied: x / wx < y / wy  <=>  x * wy < y * wx
            boolean better = best < 0 || (latency > 0 && bestLatency > 0
                    ? latency * (active + 1) * bestWeight < bestLatency * (bestActive + 1) * weight
                    : active * bestWeight < bestActive * weight);
            if (better) {
                best = i;
                bestActive = active;
                bestWeight = weight;
                bestLatency = latency;
            }
        }
        return best >= 0 ? backends[best] : candidates.firstUntried(last, ctx);
    }

    @Override
    public AliasTable table() {
        return table;
    }
}
