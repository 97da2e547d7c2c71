package io.pharos.proxy.l7.retry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The retry budget of each cluster by name, made on first use (a lookup allocates nothing after that). Any thread. */
public final class RetryBudgets {
    private final Map<String, RetryBudget> byCluster = new ConcurrentHashMap<>();

    public RetryBudget of(String cluster) {
        RetryBudget b = byCluster.get(cluster);
        return b != null ? b : byCluster.computeIfAbsent(cluster, k -> new RetryBudget());
    }
}
