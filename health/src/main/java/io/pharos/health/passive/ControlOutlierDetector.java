package io.pharos.health.passive;

import io.pharos.health.EndpointId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * {@link OutlierDetector} whose decisions all run on one control thread. Event loops only touch
 * {@link OutlierStats} atomics and, at a threshold, post one {@link #evaluate()} (deduplicated by
 * {@link #evaluationPending}).
 */
final class ControlOutlierDetector implements OutlierDetector {
    private static final System.Logger LOG = System.getLogger(ControlOutlierDetector.class.getName());

    /** The decider's view of one backend; control thread only. */
    private static final class Entry {
        final OutlierStats stats;
        /** Written by the control thread. */
        int ejections;
        /** Written by the control thread: when the current ejection's time is over. */
        long ejectedUntilNanos;

        Entry(OutlierStats stats) {
            this.stats = stats;
        }
    }

    /** One cluster's policy and members (config order); control thread only. */
    private record ClusterEntry(OutlierPolicy policy, List<Entry> members) {
    }

    private final LongSupplier nanoClock;
    private final Executor control;
    private final OutlierListener listener;
    private final Map<EndpointId, OutlierStats> statsById = new ConcurrentHashMap<>();
    /** Control thread only. */
    private final Map<String, ClusterEntry> clusters = new HashMap<>();
    private final AtomicBoolean evaluationPending = new AtomicBoolean();
    /** Written by the control thread, read by anyone. */
    private volatile long skippedEjections;

    ControlOutlierDetector(LongSupplier nanoClock, Executor control, OutlierListener listener) {
        this.nanoClock = nanoClock;
        this.control = control;
        this.listener = listener;
    }

    @Override
    public void setCluster(String cluster, OutlierPolicy policy, List<String> backends) {
        ClusterEntry old = clusters.get(cluster);
        Map<String, Entry> kept = new LinkedHashMap<>();
        if (old != null) {
            for (Entry e : old.members()) {
                kept.put(e.stats.id().backend(), e);
            }
        }
        List<Entry> members = new ArrayList<>(backends.size());
        for (String name : backends) {
            Entry e = kept.remove(name);
            if (e == null) {
                EndpointId id = new EndpointId(cluster, name);
                e = new Entry(new OutlierStats(id, this));
                statsById.put(id, e.stats);
            }
            e.stats.applyPolicy(policy);
            members.add(e);
        }
        for (Entry gone : kept.values()) {
            statsById.remove(gone.stats.id());
        }
        clusters.put(cluster, new ClusterEntry(policy, List.copyOf(members)));
    }

    @Override
    public void removeCluster(String cluster) {
        ClusterEntry old = clusters.remove(cluster);
        if (old != null) {
            for (Entry e : old.members()) {
                statsById.remove(e.stats.id());
            }
        }
    }

    @Override
    public OutlierStats stats(EndpointId id) {
        return statsById.get(id);
    }

    @Override
    public long skippedEjections() {
        return skippedEjections;
    }

    /** Any thread: posts one evaluation to the control thread unless one is already pending. */
    void requestEvaluation() {
        if (evaluationPending.compareAndSet(false, true)) {
            control.execute(() -> {
                evaluationPending.set(false);
                evaluate();
            });
        }
    }

    @Override
    public void evaluate() {
        long now = nanoClock.getAsLong();
        for (ClusterEntry c : clusters.values()) {
            evaluateCluster(c, now);
        }
    }

    private void evaluateCluster(ClusterEntry c, long now) {
        OutlierPolicy p = c.policy();
        int total = c.members().size();
        int ejected = 0;
        for (Entry e : c.members()) {
            if (e.stats.isEjected()) {
                if (now - e.ejectedUntilNanos >= 0 && passedActiveChecks(e, p)) {
                    e.stats.setEjected(false);
                    notifyReturned(e, p);
                } else {
                    ejected++;
                }
            }
        }
        for (Entry e : c.members()) {
            if (e.stats.isEjected()) {
                continue;
            }
            String reason = trigger(e.stats, p);
            if (reason == null) {
                continue;
            }
            if ((ejected + 1) * 100L > (long) p.maxEjectionPercent() * total) {
                skippedEjections++;
                continue;
            }
            e.ejections++;
            Duration d = p.ejectionTime(e.ejections);
            e.ejectedUntilNanos = now + d.toNanos();
            e.stats.setEjected(true);
            ejected++;
            try {
                listener.onEjected(e.stats.id(), reason, d, e.ejections);
            } catch (RuntimeException ex) {
                LOG.log(System.Logger.Level.WARNING, "outlier listener failed on ejection of " + e.stats.id(), ex);
            }
        }
    }

    private static boolean passedActiveChecks(Entry e, OutlierPolicy p) {
        return p.activeRise() == 0 || e.stats.activeSuccessStreak() >= p.activeRise();
    }

    private void notifyReturned(Entry e, OutlierPolicy p) {
        String reason = p.activeRise() == 0
                ? "ejection over"
                : "ejection over, " + p.activeRise() + " active checks passed";
        try {
            listener.onReturned(e.stats.id(), reason);
        } catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.WARNING, "outlier listener failed on return of " + e.stats.id(), ex);
        }
    }

    private static String trigger(OutlierStats s, OutlierPolicy p) {
        int gw = s.consecutiveGatewayFailures();
        if (p.consecutiveFailures() > 0 && gw >= p.consecutiveFailures()) {
            return gw + " consecutive gateway failures";
        }
        int fx = s.consecutive5xx();
        if (p.consecutive5xx() > 0 && fx >= p.consecutive5xx()) {
            return fx + " consecutive 5xx";
        }
        return null;
    }
}
