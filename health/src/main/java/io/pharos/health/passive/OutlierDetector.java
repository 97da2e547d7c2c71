package io.pharos.health.passive;

import io.pharos.health.EndpointId;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;

/**
 * Passive health checking (outlier detection): event loops record real traffic into per-backend
 * {@link OutlierStats}; one decider, {@link #evaluate()}, always run on one control thread, ejects and
 * returns backends and tells an {@link OutlierListener}.
 *
 * <p>Rules: a backend reaching its cluster's {@code consecutive-failures} or {@code consecutive-5xx} is
 * ejected for {@code base-ejection-time × n} (n = its ejections so far, this one included), at most
 * {@code max-ejection-time}, unless that would put more than {@code max-ejection-percent} of the cluster's
 * backends in ejection. It returns when that time is over, and, when the cluster has active checks, once
 * it has also passed {@code rise} active checks in a row since it was ejected.
 */
public interface OutlierDetector {

    /**
     * @param nanoClock the time of ejections (virtual in tests)
     * @param control   the control thread: {@link #evaluate()} runs there when a threshold is reached
     */
    static OutlierDetector create(LongSupplier nanoClock, Executor control, OutlierListener listener) {
        return new ControlOutlierDetector(nanoClock, control, listener);
    }

    /**
     * Defines or redefines a cluster: its policy and backend names. Stats of kept backends (and their
     * ejections) survive; removed backends are forgotten. Control thread.
     */
    void setCluster(String cluster, OutlierPolicy policy, List<String> backends);

    /** Forgets a cluster. Control thread. */
    void removeCluster(String cluster);

    /** The stats event loops record into, or {@code null} for an unknown backend. Any thread, lock-free. */
    OutlierStats stats(EndpointId id);

    /**
     * Decides: returns backends whose ejection is over (and which passed the active checks), then ejects
     * the ones past a threshold, within {@code max-ejection-percent}. Control thread only. Call it
     * periodically (returns are time-driven) as well: thresholds only trigger it for ejections.
     */
    void evaluate();

    /** Ejections skipped because of {@code max-ejection-percent}, so far. */
    long skippedEjections();
}
