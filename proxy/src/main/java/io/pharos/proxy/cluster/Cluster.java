package io.pharos.proxy.cluster;

import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import io.pharos.proxy.config.PharosConfig.BackendConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.InitialState;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * One cluster: the volatile reference to its current {@link ClusterSnapshot}, and the writer side that
 * builds new snapshots. Readers (event loops) call {@link #snapshot()} once per request and never
 * lock. Writers (reload, admin, health decisions) are serialized by this object's monitor, build a
 * whole new snapshot and publish it with one volatile write, then notify listeners outside the lock.
 */
public final class Cluster {
    /** Per-backend state the writers keep; guarded by {@code this}. */
    private static final class Status {
        final Backend backend;
        int configWeight;
        Integer weightOverride;
        HealthState checkState;
        boolean ejected;
        boolean draining;
        long readySinceNanos;
        /** Why it entered {@link #state()}, and when (wall clock). */
        String reason = "config";
        long sinceMillis;
        /** Wall-clock end of the current passive ejection at the earliest; 0 when not ejected. */
        long ejectedUntilMillis;

        Status(Backend backend, int configWeight, HealthState checkState, long now, long nowMillis) {
            this.backend = backend;
            this.configWeight = configWeight;
            this.checkState = checkState;
            this.readySinceNanos = now;
            this.sinceMillis = nowMillis;
        }

        MemberStatus status() {
            return new MemberStatus(configWeight,
                    weightOverride == null ? OptionalInt.empty() : OptionalInt.of(weightOverride),
                    reason, sinceMillis, ejectedUntilMillis);
        }

        int weight() {
            return weightOverride != null ? weightOverride : configWeight;
        }

        HealthState state() {
            if (draining) {
                return HealthState.DRAINING;
            }
            if (ejected) {
                return HealthState.EJECTED;
            }
            return checkState;
        }
    }

    /** Told after every publication, on the writer's thread, outside the lock. */
    public interface Listener {
        void onPublished(Cluster cluster, ClusterSnapshot previous, ClusterSnapshot current);
    }

    private final String name;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClockMillis;
    private final LoadBalancerFactory.ForConfig balancers;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    /** Written by writers under {@code this}; read lock-free by event loops. */
    private volatile ClusterSnapshot snapshot;
    /** Guarded by {@code this}. */
    private ClusterConfig config;
    /** Guarded by {@code this}. */
    private LoadBalancerFactory factory;
    /** Guarded by {@code this}; insertion order is config order. */
    private final Map<String, Status> statuses = new LinkedHashMap<>();

    /**
     * Creates the cluster and publishes its first snapshot. Resolves addresses: control thread.
     *
     * @param balancers makes the load balancer factory of each config this cluster gets (the algorithms)
     */
    public Cluster(ClusterConfig config, LongSupplier nanoClock, LoadBalancerFactory.ForConfig balancers) {
        this(config, nanoClock, System::currentTimeMillis, balancers);
    }

    /**
     * As {@link #Cluster(ClusterConfig, LongSupplier, LoadBalancerFactory.ForConfig)}, with the wall clock
     * that stamps {@link MemberStatus#sinceMillis()} and {@link MemberStatus#ejectedUntilMillis()}.
     */
    public Cluster(ClusterConfig config, LongSupplier nanoClock, LongSupplier wallClockMillis, LoadBalancerFactory.ForConfig balancers) {
        this.name = config.name();
        this.nanoClock = nanoClock;
        this.wallClockMillis = wallClockMillis;
        this.balancers = balancers;
        synchronized (this) {
            this.snapshot = new ClusterSnapshot(name, config, 0, List.of(), null);
            applyConfigLocked(config);
        }
    }

    public String name() {
        return name;
    }

    /** The current snapshot; any thread, lock-free. */
    public ClusterSnapshot snapshot() {
        return snapshot;
    }

    public synchronized ClusterConfig config() {
        return config;
    }

    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    /**
     * Applies a new config for this cluster as a diff by backend identity: kept backends keep their
     * {@link Backend} object (counters, in-flight, pooled connections), health state and operator
     * overrides; removed ones are marked so pools close their idle connections. Returns the removed backends.
     */
    public List<Backend> applyConfig(ClusterConfig newConfig) {
        ClusterSnapshot previous;
        List<Backend> removed;
        synchronized (this) {
            previous = snapshot;
            removed = applyConfigLocked(newConfig);
        }
        notifyListeners(previous);
        for (Backend b : removed) {
            b.markRemoved();
        }
        return removed;
    }

    private List<Backend> applyConfigLocked(ClusterConfig newConfig) {
        if (!newConfig.name().equals(name)) {
            throw new IllegalArgumentException("cluster name: " + newConfig.name() + " (expected: " + name + ")");
        }
        long now = nanoClock.getAsLong();
        long nowMillis = wallClockMillis.getAsLong();
        HealthState initial = newConfig.health().active()
                .map(a -> a.initialState() == InitialState.PESSIMISTIC ? HealthState.UNHEALTHY : HealthState.UNKNOWN)
                .orElse(HealthState.UNKNOWN);
        Map<String, Status> old = new LinkedHashMap<>(statuses);
        statuses.clear();
        for (BackendConfig bc : newConfig.backends()) {
            Status s = old.remove(bc.name());
            if (s == null || !s.backend.address().equals(bc.address())) {
                Backend backend = new Backend(new EndpointId(name, bc.name()), bc.address());
                Status fresh = new Status(backend, bc.weight(), initial, now, nowMillis);
                if (s != null) {
                    // same name, new address: a new instance; operator overrides still apply to the name
                    fresh.weightOverride = s.weightOverride;
                    fresh.draining = s.draining;
                    old.put(bc.name() + "\u0000replaced", s);
                }
                s = fresh;
            } else {
                s.configWeight = bc.weight();
            }
            statuses.put(bc.name(), s);
        }
        this.config = newConfig;
        this.factory = balancers.forConfig(newConfig.balancer(), nanoClock);
        publishLocked();
        List<Backend> removed = new ArrayList<>();
        for (Status s : old.values()) {
            removed.add(s.backend);
        }
        return removed;
    }

    /** Sets the active-check verdict of a backend; returns false if it does not exist. */
    public boolean setCheckState(String backend, HealthState state) {
        return setCheckState(backend, state, null);
    }

    /**
     * Sets the active-check verdict of a backend, with the reason its state change (if any) carries;
     * returns false if it does not exist.
     */
    public boolean setCheckState(String backend, HealthState state, String reason) {
        return update(backend, reason, s -> {
            if (!s.checkState.acceptsTraffic() && state.acceptsTraffic()) {
                s.readySinceNanos = nanoClock.getAsLong();
            }
            s.checkState = state;
        });
    }

    /** Sets or clears the passive-check ejection of a backend; returns false if it does not exist. */
    public boolean setEjected(String backend, boolean ejected) {
        return ejected ? eject(backend, null, 0) : setNotEjected(backend, null);
    }

    /**
     * Ejects a backend for {@code forMillis} at least, with the reason its state change carries; returns
     * false if it does not exist.
     */
    public boolean eject(String backend, String reason, long forMillis) {
        return update(backend, reason, s -> {
            s.ejected = true;
            s.ejectedUntilMillis = wallClockMillis.getAsLong() + forMillis;
        });
    }

    /** Ends the passive ejection of a backend, with the reason; returns false if it does not exist. */
    public boolean setNotEjected(String backend, String reason) {
        return update(backend, reason, s -> {
            if (s.ejected) {
                s.readySinceNanos = nanoClock.getAsLong();
            }
            s.ejected = false;
            s.ejectedUntilMillis = 0;
        });
    }

    /** Operator drain ({@code true}) or ready ({@code false}); returns false if the backend does not exist. */
    public boolean setDraining(String backend, boolean draining) {
        return update(backend, null, s -> s.draining = draining);
    }

    /** Operator weight override (0..65535), kept across reloads; returns false if the backend does not exist. */
    public boolean setWeightOverride(String backend, int weight) {
        if (weight < 0 || weight > 65535) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 0..65535)");
        }
        return update(backend, null, s -> s.weightOverride = weight);
    }

    /** Removes the operator weight override: the config's weight applies again; returns false if the backend does not exist. */
    public boolean clearWeightOverride(String backend) {
        return update(backend, null, s -> s.weightOverride = null);
    }

    /**
     * Changes one backend and publishes. When its state changes, {@code reason} (or, without one,
     * {@code operator} for a drain or ready, {@code config} otherwise) and the time are kept with it.
     */
    private boolean update(String backend, String reason, Consumer<Status> change) {
        ClusterSnapshot previous;
        synchronized (this) {
            Status s = statuses.get(backend);
            if (s == null) {
                return false;
            }
            previous = snapshot;
            HealthState before = s.state();
            change.accept(s);
            HealthState after = s.state();
            if (before != after) {
                s.reason = reason != null ? reason
                        : before == HealthState.DRAINING || after == HealthState.DRAINING ? "operator" : "config";
                s.sinceMillis = wallClockMillis.getAsLong();
            }
            publishLocked();
        }
        notifyListeners(previous);
        return true;
    }

    private void publishLocked() {
        List<ClusterMember> members = new ArrayList<>(statuses.size());
        for (Status s : statuses.values()) {
            members.add(new ClusterMember(s.backend, s.weight(), s.state(), s.readySinceNanos, s.status()));
        }
        ClusterSnapshot previous = snapshot;
        LoadBalancer lb = factory.newLoadBalancer(previous.loadBalancer(), members);
        snapshot = new ClusterSnapshot(name, config, previous.version() + 1, members, lb);
    }

    private void notifyListeners(ClusterSnapshot previous) {
        ClusterSnapshot current = snapshot;
        if (current == previous) {
            return;
        }
        for (Listener l : listeners) {
            l.onPublished(this, previous, current);
        }
    }
}
