package io.pharos.proxy.l7.retry;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RetryBudgetTest {

    private static Cluster cluster(String retries) throws Exception {
        return RetryTestClusters.cluster(retries, "a", "b");
    }

    @Test
    void minimumConcurrentRetriesAlwaysAllowed() throws Exception {
        ClusterSnapshot s = cluster("retries { budget-percent = 20, min-concurrent = 3 }").snapshot();
        RetryBudget budget = new RetryBudget();
        assertTrue(budget.tryAcquire(s));
        assertTrue(budget.tryAcquire(s));
        assertTrue(budget.tryAcquire(s));
        assertFalse(budget.tryAcquire(s), "nothing in flight: only min-concurrent");
        budget.release();
        assertTrue(budget.tryAcquire(s));
        assertEquals(3, budget.active());
    }

    @Test
    void budgetGrowsWithTheRequestsInFlight() throws Exception {
        ClusterSnapshot s = cluster("retries { budget-percent = 20, min-concurrent = 1 }").snapshot();
        Backend a = s.member("a").backend();
        Backend b = s.member("b").backend();
        for (int i = 0; i < 30; i++) {
            a.onStart();
            b.onStart();
        }
        RetryBudget budget = new RetryBudget();
        int granted = 0;
        while (budget.tryAcquire(s)) {
            granted++;
        }
        assertEquals(12, granted, "20% of 60 in flight");
        for (int i = 0; i < 30; i++) {
            a.onEnd();
            b.onEnd();
        }
        for (int i = 0; i < 12; i++) {
            budget.release();
        }
        assertTrue(budget.tryAcquire(s));
        assertFalse(budget.tryAcquire(s), "back to min-concurrent = 1");
    }
}
