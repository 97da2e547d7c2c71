package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;

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
final class PowerOfChoicesLoadBalancer implements LoadBalancer {
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
        this.slowStart = slowStart;
        this.load = load;
        this.choiceCount = choiceCount;
        this.nanoClock = nanoClock;
        this.table = old instanceof PowerOfChoicesLoadBalancer p && candidates.sameWeightedBackends(p.candidates)
                ? p.table
                : new AliasTable(candidates.weights, candidates.equalWeights);
    }

    @Override
    public Backend pick(PickContext ctx) {
        Backend[] backends = candidates.backends;
        if (backends.length == 0) {
            return null;
        }
        int[] weights = candidates.weights;
        long rampNow = slowStart.now();
        long now = load == Load.PEAK_EWMA ? nanoClock.getAsLong() : 0;
        int best = -1;
        double bestLoad = 0;
        double bestInFlight = 0;
        boolean bestMeasured = false;
        int drawn = 0;
        int last = 0;
        for (int a = 0; a < Selection.MAX_ATTEMPTS && drawn < choiceCount; a++) {
            int i = table.next();
            last = i;
            Backend b = backends[i];
            if (ctx.isTried(b) || (rampNow != SlowStart.NOT_RAMPING && !slowStart.accept(i, rampNow))) {
                continue;
            }
            drawn++;
            int active = b.inFlight();
            double weight = weights[i];
            double inFlight = active / weight;
            double latency = load == Load.PEAK_EWMA ? b.latencyEwmaNanos(now) : 0;
            double cost = latency * (active + 1) / weight;
            boolean measured = latency > 0;
            if (best < 0
                    || (measured && bestMeasured ? cost < bestLoad : inFlight < bestInFlight)) {
                best = i;
                bestLoad = cost;
                bestInFlight = inFlight;
                bestMeasured = measured;
            }
        }
        return best >= 0 ? backends[best] : candidates.firstUntried(last, ctx);
    }
}
