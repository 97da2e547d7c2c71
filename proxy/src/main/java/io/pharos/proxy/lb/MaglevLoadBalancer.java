package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.config.PharosConfig.BalancerConfig;

import java.util.Arrays;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016) with Envoy's weighting: a lookup table of
 * {@code tableSize} (a prime) entries is filled by letting each candidate claim, in turn, the next
 * free slot of its own permutation {@code (offset + j × skip) mod tableSize}, where offset and skip
 * come from its name's hash; a candidate skips turns in proportion to how far its weight is below
 * the heaviest. A key's hash indexes the table in O(1). Changing one backend moves its keys and a
 * small share of others (the paper's minimal disruption, not ketama's exact stability).
 *
 * <p>A tried backend is passed over by probing the next slots (bounded), then the next untried
 * candidate. Requests without the key go to weighted random. Immutable; any event loop. A rebuild
 * keeps the table of the balancer it replaces when candidates and weights did not change.
 */
final class MaglevLoadBalancer implements LoadBalancer {
    private final Candidates candidates;
    private final RequestKeyHasher hasher;
    private final RandomLoadBalancer fallback;
    /** Candidate index per slot; empty when there is no candidate. */
    private final int[] table;

    MaglevLoadBalancer(LoadBalancer old, Candidates candidates, RequestKeyHasher hasher, int tableSize,
                       RandomLoadBalancer fallback) {
        if (tableSize < candidates.size() || !BalancerConfig.isPrime(tableSize)) {
            // a composite size lets a permutation cycle without reaching a free slot: the build would not end
            throw new IllegalArgumentException("tableSize: " + tableSize + " (expected: a prime >= candidates " + candidates.size() + ")");
        }
        this.candidates = candidates;
        this.hasher = hasher;
        this.fallback = fallback;
        this.table = old instanceof MaglevLoadBalancer m && m.table.length == tableSize
                && candidates.sameWeightedBackends(m.candidates)
                ? m.table
                : build(candidates, tableSize);
    }

    private static int[] build(Candidates c, int m) {
        int n = c.size();
        if (n == 0) {
            return new int[0];
        }
        long[] offset = new long[n];
        long[] skip = new long[n];
        long[] next = new long[n];
        long[] target = new long[n];
        int maxWeight = 0;
        for (int i = 0; i < n; i++) {
            long h = Hashing.hashChars(c.backends[i].name());
            offset[i] = Long.remainderUnsigned(h, m);
            skip[i] = Long.remainderUnsigned(Hashing.mix64(h), m - 1) + 1;
            maxWeight = Math.max(maxWeight, c.weights[i]);
        }
        int[] table = new int[m];
        Arrays.fill(table, -1);
        int filled = 0;
        for (long iteration = 1; filled < m; iteration++) {
            for (int i = 0; i < n && filled < m; i++) {
                if (iteration * c.weights[i] < target[i]) {
                    continue;
                }
                target[i] += maxWeight;
                long slot = (offset[i] + next[i] * skip[i]) % m;
                while (table[(int) slot] >= 0) {
                    next[i]++;
                    slot = (offset[i] + next[i] * skip[i]) % m;
                }
                table[(int) slot] = i;
                next[i]++;
                filled++;
            }
        }
        return table;
    }

    @Override
    public Backend pick(PickContext ctx) {
        int[] t = table;
        int m = t.length;
        if (m == 0) {
            return null;
        }
        long h = hasher.hash(ctx);
        if (h == RequestKeyHasher.NO_KEY) {
            return fallback.pick(ctx);
        }
        int slot = (int) ((h >>> 1) % m);
        Backend[] backends = candidates.backends;
        int owner = 0;
        for (int step = 0; step < Selection.MAX_ATTEMPTS; step++) {
            int k = slot + step;
            owner = t[k >= m ? k % m : k];
            Backend b = backends[owner];
            if (!ctx.isTried(b)) {
                return b;
            }
        }
        return candidates.firstUntried(owner, ctx);
    }
}
