package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.PickContext;

import java.util.List;

/**
 * The members one balancer picks from, chosen once when the balancer is built (control thread): the
 * usable members, or, in panic, every panic-usable member. Snapshots are immutable, so a member's
 * state cannot change under a built balancer; the pick path only has to skip backends the request
 * already tried. Immutable; any thread.
 *
 * <p>Panic (Envoy's panic threshold): when the usable members are fewer than {@code panicThreshold}
 * percent of the panic-usable ones (weight above 0 and not draining, i.e. what operators have not
 * taken out), selection spreads over all panic-usable members instead of overloading the few. The
 * denominator leaves drained and weight-0 members out so that an operator draining half a cluster
 * does not push it into panic. 0 disables panic.
 */
final class Candidates {
    final Backend[] backends;
    /** Config or override weight of each candidate, 1..65535. */
    final int[] weights;
    /** {@link ClusterMember#readySinceNanos()} of each candidate. */
    final long[] readySinceNanos;
    final boolean panic;
    final boolean equalWeights;

    private Candidates(List<ClusterMember> chosen, boolean panic) {
        int n = chosen.size();
        this.backends = new Backend[n];
        this.weights = new int[n];
        this.readySinceNanos = new long[n];
        boolean equal = true;
        for (int i = 0; i < n; i++) {
            ClusterMember m = chosen.get(i);
            backends[i] = m.backend();
            weights[i] = m.weight();
            readySinceNanos[i] = m.readySinceNanos();
            equal &= weights[i] == weights[0];
        }
        this.panic = panic;
        this.equalWeights = equal;
    }

    static Candidates select(List<ClusterMember> members, int panicThreshold) {
        if (panicThreshold < 0 || panicThreshold > 100) {
            throw new IllegalArgumentException("panicThreshold: " + panicThreshold + " (expected: 0..100)");
        }
        int usable = 0;
        int panicUsable = 0;
        for (ClusterMember m : members) {
            usable += m.isUsable() ? 1 : 0;
            panicUsable += m.isPanicUsable() ? 1 : 0;
        }
        boolean panic = panicThreshold > 0 && (long) usable * 100 < (long) panicThreshold * panicUsable;
        List<ClusterMember> chosen = members.stream()
                .filter(panic ? ClusterMember::isPanicUsable : ClusterMember::isUsable)
                .toList();
        return new Candidates(chosen, panic);
    }

    int size() {
        return backends.length;
    }

    /** Whether {@code other} holds the same backends with the same weights in the same order. */
    boolean sameWeightedBackends(Candidates other) {
        if (other == null || other.backends.length != backends.length) {
            return false;
        }
        for (int i = 0; i < backends.length; i++) {
            if (other.backends[i] != backends[i] || other.weights[i] != weights[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The fallback of every algorithm once its bounded attempts are spent: the first candidate from
     * {@code start} on that {@code ctx} has not tried, or {@code null}.
     */
    Backend firstUntried(int start, PickContext ctx) {
        int n = backends.length;
        for (int i = 0; i < n; i++) {
            int k = start + i;
            Backend b = backends[k >= n ? k - n : k];
            if (!ctx.isTried(b)) {
                return b;
            }
        }
        return null;
    }
}
