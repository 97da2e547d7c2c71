package io.pharos.proxy.health;

import io.pharos.health.passive.OutlierStats;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.l7.retry.RetryBudget;
import io.pharos.proxy.l7.retry.RetryBudgets;

/**
 * {@link ProxyHealth} without checks or outlier detection (embedded use, handler tests): records nothing,
 * but still keeps a retry budget per cluster so retries stay bounded.
 */
final class NoProxyHealth implements ProxyHealth {
    private final RetryBudgets budgets = new RetryBudgets();

    @Override
    public void attach(Cluster cluster) {
    }

    @Override
    public void detach(Cluster cluster) {
    }

    @Override
    public OutlierStats outlierStats(Backend backend) {
        return null;
    }

    @Override
    public RetryBudget retryBudget(String cluster) {
        return budgets.of(cluster);
    }

    @Override
    public void close() {
    }
}
