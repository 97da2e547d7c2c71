package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.LoadBalancer;
import io.pharos.proxy.cluster.PickContext;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Plain round robin over the candidates, ignoring weights beyond 0 (slow start still thins out a
 * ramping candidate). Picks run on any event loop; the cursor is the only mutable state.
 */
final class RoundRobinLoadBalancer implements LoadBalancer {
    private final Candidates candidates;
    private final SlowStart slowStart;
    /** Shared with the balancer this one replaced, so a rebuild does not restart the rotation; any picker. */
    private final AtomicInteger cursor;

    RoundRobinLoadBalancer(LoadBalancer old, Candidates candidates, SlowStart slowStart) {
        this.candidates = candidates;
        this.slowStart = slowStart;
        this.cursor = old instanceof RoundRobinLoadBalancer rr ? rr.cursor : new AtomicInteger();
    }

    @Override
    public Backend pick(PickContext ctx) {
        Backend[] backends = candidates.backends;
        int n = backends.length;
        if (n == 0) {
            return null;
        }
        long now = slowStart.now();
        int i = 0;
        for (int a = 0; a < Selection.MAX_ATTEMPTS; a++) {
            i = (cursor.getAndIncrement() & Integer.MAX_VALUE) % n;
            Backend b = backends[i];
            if (!ctx.isTried(b) && (now == SlowStart.NOT_RAMPING || slowStart.accept(i, now))) {
                return b;
            }
        }
        return candidates.firstUntried(i, ctx);
    }
}
