package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.util.Arrays;

/**
 * Ketama-style consistent hashing. Each candidate owns {@code ceil(minRingSize × weight / maxWeight)}
 * points (the heaviest owns {@code minRingSize}); point {@code j} of a backend sits at
 * {@code mix64(hash(name) + j × φ)}, so it depends only on the backend's own name and weight: adding
 * or removing one backend moves only the keys that fall on its points. A key's hash finds the first
 * point clockwise; tried backends are passed over by walking on (a bounded walk, then the next
 * untried candidate by index). The ring is one sorted {@code long[]}
 * of (point hash, owner) pairs: 43 high bits of hash, {@link #OWNER_BITS} low bits of candidate index,
 * with a bucket index over the top bits of the position so that a lookup is O(1) on average.
 * Above {@link #MAX_POINTS} points every candidate's share is scaled down.
 *
 * <p>Requests without the key go to weighted random. Immutable; any event loop. A rebuild keeps the
 * ring of the balancer it replaces when candidates and weights did not change.
 */
final class RingHashLoadBalancer implements LoadBalancer {
    static final int OWNER_BITS = 20;
    static final int MAX_POINTS = 8 << 20;
    private static final long OWNER_MASK = (1L << OWNER_BITS) - 1;
    private static final long GOLDEN = 0x9e3779b97f4a7c15L;
    private static final int MAX_INDEX_BITS = 18;

    private final Candidates candidates;
    private final RequestKeyHasher hasher;
    private final RandomLoadBalancer fallback;
    private final int minRingSize;
    private final long[] ring;
    /** {@code index[k]}: first ring entry whose position's top {@link #indexBits} bits are at least k. */
    private final int[] index;
    private final int indexBits;

    RingHashLoadBalancer(LoadBalancer old, Candidates candidates, RequestKeyHasher hasher, int minRingSize,
                         RandomLoadBalancer fallback) {
        if (candidates.size() > OWNER_MASK) {
            throw new IllegalArgumentException("candidates: " + candidates.size() + " (expected: <= " + OWNER_MASK + ")");
        }
        this.candidates = candidates;
        this.hasher = hasher;
        this.fallback = fallback;
        this.minRingSize = minRingSize;
        this.ring = old instanceof RingHashLoadBalancer r && r.minRingSize == minRingSize
                && candidates.sameWeightedBackends(r.candidates)
                ? r.ring
                : build(candidates, minRingSize);
        this.indexBits = Math.max(1, Math.min(MAX_INDEX_BITS, 31 - Integer.numberOfLeadingZeros(Math.max(1, ring.length))));
        this.index = index(ring, indexBits);
    }

    /** Buckets of ring entries by the top bits of their position, so a lookup searches about one entry. */
    private static int[] index(long[] ring, int bits) {
        int[] index = new int[1 << bits];
        int i = 0;
        for (int k = 0; k < index.length; k++) {
            while (i < ring.length && (ring[i] >>> (63 - bits)) < k) {
                i++;
            }
            index[k] = i;
        }
        return index;
    }

    private static long[] build(Candidates c, int minRingSize) {
        int n = c.size();
        int maxWeight = 1;
        for (int w : c.weights) {
            maxWeight = Math.max(maxWeight, w);
        }
        long[] points = new long[n];
        long total = 0;
        for (int i = 0; i < n; i++) {
            points[i] = ceilDiv((long) minRingSize * c.weights[i], maxWeight);
            total += points[i];
        }
        if (total > MAX_POINTS) {
            long scaled = 0;
            for (int i = 0; i < n; i++) {
                points[i] = Math.max(1, points[i] * MAX_POINTS / total);
                scaled += points[i];
            }
            total = scaled;
        }
        long[] ring = new long[Math.toIntExact(total)];
        int k = 0;
        for (int i = 0; i < n; i++) {
            long base = Hashing.hashChars(c.backends[i].name());
            for (long j = 0; j < points[i]; j++) {
                ring[k++] = position(Hashing.mix64(base + j * GOLDEN)) | i;
            }
        }
        Arrays.sort(ring);
        return ring;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** A 64-bit hash as a ring position: its high 43 bits, above the owner bits, kept non-negative. */
    private static long position(long hash) {
        return (hash >>> (OWNER_BITS + 1)) << OWNER_BITS;
    }

    @Override
    public Backend pick(PickContext ctx) {
        long[] r = ring;
        if (r.length == 0) {
            return null;
        }
        long h = hasher.hash(ctx);
        if (h == RequestKeyHasher.NO_KEY) {
            return fallback.pick(ctx);
        }
        int at = firstAtOrAfter(r, position(h));
        Backend[] backends = candidates.backends;
        int len = r.length;
        int owner = 0;
        int steps = Math.min(len, Selection.MAX_ATTEMPTS);
        for (int step = 0; step < steps; step++) {
            int k = at + step;
            owner = (int) (r[k >= len ? k - len : k] & OWNER_MASK);
            Backend b = backends[owner];
            if (!ctx.isTried(b)) {
                return b;
            }
        }
        return candidates.firstUntried(owner, ctx);
    }

    /** Index of the first entry at or after {@code position}, wrapping to 0 past the end. */
    private int firstAtOrAfter(long[] r, long position) {
        int k = (int) (position >>> (63 - indexBits));
        int lo = index[k];
        int hi = k + 1 < index.length ? index[k + 1] : r.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (r[mid] < position) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo == r.length ? 0 : lo;
    }
}
