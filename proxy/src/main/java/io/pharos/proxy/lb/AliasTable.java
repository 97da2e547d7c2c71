package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.LoadBalancer;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Draws an index with probability proportional to its weight in O(1) from one random long (Vose's
 * alias method). Built off the hot path; immutable; any thread.
 */
final class AliasTable {
    private static final long ONE = 1L << 31;

    /** Keep column {@code i} when a 31-bit coin is below {@code keep[i]}, else take {@code alias[i]}. */
    private final int[] keep;
    private final int[] alias;
    private final boolean uniform;
    /** What the table was built from: a successor over the same backends and weights reuses it. */
    private final Candidates candidates;

    /** A balancer that draws from an alias table over its candidates, so that its successor may reuse the table. */
    interface Owner {
        AliasTable table();
    }

    /**
     * The table for {@code candidates}: the table of {@code old} when it drew from one built for the same
     * backends and weights (a rebuild after a health flip elsewhere), else a new one. A table depends on
     * the weights alone, so any {@link Owner} may hand it on. Control thread.
     */
    static AliasTable reuseOrBuild(Candidates candidates, LoadBalancer old) {
        return old instanceof Owner o && candidates.sameWeightedBackends(o.table().candidates)
                ? o.table()
                : new AliasTable(candidates);
    }

    private AliasTable(Candidates candidates) {
        int[] weights = candidates.weights;
        boolean equalWeights = candidates.equalWeights;
        int n = weights.length;
        this.candidates = candidates;
        this.keep = new int[n];
        this.alias = new int[n];
        this.uniform = equalWeights;
        if (equalWeights || n == 0) {
            return;
        }
        long total = 0;
        for (int w : weights) {
            total += w;
        }
        // scaled[i] = weights[i] * n, compared with total: an exact integer version of Vose's p_i * n vs 1
        long[] scaled = new long[n];
        int[] small = new int[n];
        int[] large = new int[n];
        int smallCount = 0;
        int largeCount = 0;
        for (int i = 0; i < n; i++) {
            scaled[i] = (long) weights[i] * n;
            alias[i] = i;
            if (scaled[i] < total) {
                small[smallCount++] = i;
            } else {
                large[largeCount++] = i;
            }
        }
        while (smallCount > 0 && largeCount > 0) {
            int s = small[--smallCount];
            int l = large[--largeCount];
            keep[s] = (int) ((double) scaled[s] / total * ONE);
            alias[s] = l;
            scaled[l] -= total - scaled[s];
            if (scaled[l] < total) {
                small[smallCount++] = l;
            } else {
                large[largeCount++] = l;
            }
        }
        while (largeCount > 0) {
            keep[large[--largeCount]] = Integer.MAX_VALUE;
        }
        while (smallCount > 0) {
            keep[small[--smallCount]] = Integer.MAX_VALUE;
        }
    }

    int size() {
        return keep.length;
    }

    /** A weighted random index; requires {@code size() > 0}. */
    int next() {
        return index(ThreadLocalRandom.current().nextInt());
    }

    /**
     * A weighted index from 32 random bits: the high half of {@code bits × size} picks the column, the
     * low half (uniform within the column, in steps of size / 2^32) is the coin. One random
     * long thus serves two draws.
     */
    int index(int bits) {
        long m = (bits & 0xFFFFFFFFL) * keep.length;
        int i = (int) (m >>> 32);
        if (uniform) {
            return i;
        }
        int coin = (int) ((m & 0xFFFFFFFFL) >>> 1);
        return coin < keep[i] ? i : alias[i];
    }
}
