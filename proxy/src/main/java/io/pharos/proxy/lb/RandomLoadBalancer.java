package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Weighted random: each pick draws a candidate with probability proportional to its weight (alias
 * table, O(1)). Stateless apart from {@link ThreadLocalRandom}; any event loop. Also the fallback of
 * the hashing balancers for requests without a hash key.
 */
final class RandomLoadBalancer implements LoadBalancer, AliasTable.Owner {
    private final Candidates candidates;
    private final SlowStart slowStart;
    private final AliasTable table;

    RandomLoadBalancer(LoadBalancer old, Candidates candidates, SlowStart slowStart) {
        this.candidates = candidates;
        this.table = AliasTable.reuseOrBuild(candidates, old);
        this.slowStart = slowStart;
    }

    @Override
    public Backend pick(PickContext ctx) {
        Backend[] backends = candidates.backends;
        if (backends.length == 0) {
            return null;
        }
        long now = slowStart.now();
        int i = 0;
        for (int a = 0; a < Selection.MAX_ATTEMPTS; a++) {
            i = table.next();
            Backend b = backends[i];
            if (!ctx.isTried(b) && (now == SlowStart.NOT_RAMPING || slowStart.accept(i, now))) {
                return b;
            }
        }
        return candidates.firstUntried(i, ctx);
    }

    @Override
    public AliasTable table() {
        return table;
    }
}
