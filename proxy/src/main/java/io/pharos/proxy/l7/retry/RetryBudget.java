package io.pharos.proxy.l7.retry;

import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.PharosConfig.RetryConfig;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds concurrent retries of one cluster: at most {@code budget-percent} of the requests in flight
 * to it, but always at least {@code min-concurrent}, so retries cannot multiply the load of a failing
 * cluster (a retry storm). Shared by all event loops; lock-free, allocation-free.
 */
public final class RetryBudget {
    /** Retries in progress; incremented by {@link #tryAcquire}, decremented by {@link #release}, from any loop. */
    private final AtomicInteger active = new AtomicInteger();

    /** Takes one retry slot if the budget allows; every {@code true} must be paired with one {@link #release()}. */
    public boolean tryAcquire(ClusterSnapshot snapshot) {
        RetryConfig c = snapshot.config().retries();
        int inFlight = 0;
        for (ClusterMember m : snapshot.members()) {
            inFlight += m.backend().inFlight();
        }
        int allowed = Math.max(c.minConcurrent(), (int) ((long) inFlight * c.budgetPercent() / 100));
        while (true) {
            int now = active.get();
            if (now >= allowed) {
                return false;
            }
            if (active.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    public void release() {
        active.decrementAndGet();
    }

    /** Retries in progress now. */
    public int active() {
        return active.get();
    }
}
