package io.pharos.proxy.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;
import io.pharos.health.active.CheckListener;
import io.pharos.health.active.CheckPolicy;
import io.pharos.health.active.CheckSession;
import io.pharos.health.active.Probe;
import io.pharos.health.active.ProbeResult;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.health.passive.OutlierDetector;
import io.pharos.health.passive.OutlierListener;
import io.pharos.health.passive.OutlierPolicy;
import io.pharos.health.passive.OutlierStats;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.PharosConfig.ActiveCheckConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.l7.retry.RetryBudget;
import io.pharos.proxy.l7.retry.RetryBudgets;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * {@link ProxyHealth}: the per-cluster bookkeeping lives on the control thread; check sessions call back
 * on their loops and hop to the control thread to write the cluster.
 */
final class DefaultProxyHealth implements ProxyHealth {
    private static final System.Logger LOG = System.getLogger(DefaultProxyHealth.class.getName());

    /** What runs for one attached cluster; control thread only. */
    private static final class Watched {
        final Cluster cluster;
        /** The config the sessions follow; written by the control thread, read by cluster writers. */
        volatile ClusterConfig config;
        /** One session per live Backend object; written by the control thread. */
        final Map<Backend, CheckSession> sessions = new IdentityHashMap<>();

        Watched(Cluster cluster) {
            this.cluster = cluster;
        }
    }

    private final EventLoopGroup loops;
    private final ChannelFactory<? extends Channel> channelFactory;
    private final ScheduledExecutorService control;
    private final ClusterEventEmitter emitter;
    private final OutlierDetector detector;
    /** Control thread only. */
    private final Map<String, Watched> watched = new HashMap<>();
    private final RetryBudgets budgets = new RetryBudgets();
    private final ScheduledFuture<?> evaluation;
    private final LongSupplier wallClockMillis;

    DefaultProxyHealth(String region, EventLoopGroup loops, ChannelFactory<? extends Channel> channelFactory,
                       ScheduledExecutorService control, HealthEventPublisher publisher, LongSupplier nanoClock,
                       LongSupplier wallClockMillis) {
        this.loops = loops;
        this.channelFactory = channelFactory;
        this.control = control;
        this.wallClockMillis = wallClockMillis;
        this.emitter = new ClusterEventEmitter(region, publisher, wallClockMillis);
        this.detector = OutlierDetector.create(nanoClock, control, new Ejections());
        long period = EVALUATION_PERIOD.toNanos();
        this.evaluation = control.scheduleWithFixedDelay(detector::evaluate, period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public void attach(Cluster cluster) {
        if (watched.containsKey(cluster.name())) {
            throw new IllegalArgumentException("cluster: " + cluster.name() + " (expected: not attached yet)");
        }
        Watched w = new Watched(cluster);
        watched.put(cluster.name(), w);
        cluster.addListener(emitter);
        cluster.addListener((c, previous, current) -> {
            if (current.config() != w.config || membersChanged(previous, current)) {
                control.execute(() -> reconcile(w));
            }
        });
        reconcile(w);
    }

    @Override
    public void detach(Cluster cluster) {
        Watched w = watched.remove(cluster.name());
        if (w != null) {
            w.sessions.values().forEach(CheckSession::close);
            w.sessions.clear();
            detector.removeCluster(cluster.name());
        }
    }

    @Override
    public OutlierStats outlierStats(Backend backend) {
        return detector.stats(backend.id());
    }

    @Override
    public RetryBudget retryBudget(String cluster) {
        return budgets.of(cluster);
    }

    @Override
    public void close() {
        evaluation.cancel(false);
        for (Watched w : List.copyOf(watched.values())) {
            detach(w.cluster);
        }
    }

    /** Any thread (a cluster writer): whether a publication changed which Backend objects are members. */
    private static boolean membersChanged(ClusterSnapshot previous, ClusterSnapshot current) {
        List<ClusterMember> a = previous.members();
        List<ClusterMember> b = current.members();
        if (a.size() != b.size()) {
            return true;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).backend() != b.get(i).backend()) {
                return true;
            }
        }
        return false;
    }

    /** Control thread: sessions and the detector follow the cluster's current members and config. */
    private void reconcile(Watched w) {
        if (watched.get(w.cluster.name()) != w) {
            return;
        }
        ClusterConfig config = w.cluster.config();
        ClusterSnapshot snapshot = w.cluster.snapshot();
        boolean reload = w.config != null;
        boolean hadActive = reload && w.config.health().active().isPresent();
        boolean activeChanged = w.config == null || !w.config.health().active().equals(config.health().active());
        w.config = config;

        Optional<OutlierPolicy> passive = HealthSettings.outlierPolicy(config.health());
        if (passive.isPresent()) {
            detector.setCluster(w.cluster.name(), passive.get(),
                    snapshot.members().stream().map(m -> m.backend().name()).toList());
        } else {
            List<String> ejected = snapshot.members().stream().map(m -> m.backend().id())
                    .filter(id -> detector.stats(id) != null && detector.stats(id).isEjected())
                    .map(EndpointId::backend).toList();
            detector.removeCluster(w.cluster.name());
            // nothing would ever return them: passive checks are gone
            for (String name : ejected) {
                w.cluster.setNotEjected(name, "passive checks removed");
            }
        }

        List<Backend> live = snapshot.members().stream().map(ClusterMember::backend).toList();
        Map<Backend, CheckSession> keep = new IdentityHashMap<>();
        for (Backend b : live) {
            CheckSession s = w.sessions.remove(b);
            if (s != null && !activeChanged) {
                keep.put(b, s);
            } else if (s != null) {
                s.close();
            }
        }
        w.sessions.values().forEach(CheckSession::close);
        w.sessions.clear();
        w.sessions.putAll(keep);

        Optional<ActiveCheckConfig> active = config.health().active();
        if (active.isEmpty()) {
            w.sessions.values().forEach(CheckSession::close);
            w.sessions.clear();
            if (hadActive) {
                // no check will ever give a verdict again: back to unknown, which takes traffic
                for (Backend b : live) {
                    w.cluster.setCheckState(b.name(), HealthState.UNKNOWN, "active checks removed");
                }
            }
            return;
        }
        CheckPolicy policy = HealthSettings.checkPolicy(active.get());
        Probe probe = HealthSettings.probe(active.get(), channelFactory, null);
        List<Backend> toStart = new ArrayList<>();
        for (Backend b : live) {
            if (!w.sessions.containsKey(b)) {
                toStart.add(b);
            }
        }
        for (Backend b : toStart) {
            Verdicts verdicts = new Verdicts(w, b);
            CheckSession s = CheckSession.start(loops.next(), b.id(),
                    HealthSettings.checkAddress(active.get(), b.socketAddress()), policy, probe, verdicts);
            verdicts.session = s;
            w.sessions.put(b, s);
        }
        if (reload && activeChanged) {
            // new sessions start from their initial state; the cluster's verdicts follow, so that a flip
            // the new session reports is never a no-op against a verdict of the old checks
            HealthState initial = policy.start() == CheckPolicy.Start.PESSIMISTIC ? HealthState.UNHEALTHY : HealthState.UNKNOWN;
            for (Backend b : live) {
                w.cluster.setCheckState(b.name(), initial, "active checks changed");
            }
        }
    }

    /** A session's results for one backend; called on the session's loop, applied on the control thread. */
    private final class Verdicts implements CheckListener {
        private final Watched w;
        private final Backend backend;
        /** The session these verdicts come from; written once by the control thread right after its start. */
        CheckSession session;

        Verdicts(Watched w, Backend backend) {
            this.w = w;
            this.backend = backend;
        }

        @Override
        public void onStateChange(EndpointId id, HealthState from, HealthState to, String reason) {
            control.execute(() -> {
                // a verdict of a session a reload replaced or closed is stale
                if (w.sessions.get(backend) != session || !isCurrent(w.cluster, backend)) {
                    return;
                }
                w.cluster.setCheckState(backend.name(), to,
                        to == HealthState.HEALTHY ? "active checks passed" : "active check failed: " + reason);
            });
        }

        @Override
        public void onCheck(EndpointId id, ProbeResult result, HealthState state) {
            backend.recordCheck(new Backend.CheckResult(result.ok(), result.reason(), wallClockMillis.getAsLong()));
            OutlierStats s = detector.stats(id);
            if (s != null) {
                s.onActiveCheck(result.ok());
            }
        }
    }

    /** The decider's verdicts, on the control thread. */
    private final class Ejections implements OutlierListener {
        @Override
        public void onEjected(EndpointId id, String reason, Duration duration, int ejections) {
            Cluster c = cluster(id);
            if (c != null) {
                c.eject(id.backend(), "ejected: " + reason + " (for " + duration.toMillis() + " ms)", duration.toMillis());
            }
        }

        @Override
        public void onReturned(EndpointId id, String reason) {
            Cluster c = cluster(id);
            if (c != null) {
                c.setNotEjected(id.backend(), reason);
            }
        }

        private Cluster cluster(EndpointId id) {
            Watched w = watched.get(id.cluster());
            if (w == null) {
                LOG.log(System.Logger.Level.DEBUG, "ejection verdict for a detached cluster: {0}", id);
                return null;
            }
            return w.cluster;
        }
    }

    private static boolean isCurrent(Cluster cluster, Backend backend) {
        ClusterMember m = cluster.snapshot().member(backend.name());
        return m != null && m.backend() == backend;
    }
}
