package io.pharos.gtm;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.pharos.health.active.ProbeResult;
import io.pharos.health.config.HostPort;
import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.ipc.EventRingReader;
import io.pharos.gtm.FailoverDecider.ProxyView;
import io.pharos.gtm.FailoverDecider.RegionState;
import io.pharos.gtm.GtmConfig.Region;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.SystemEpochClock;

import javax.net.ssl.SSLException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The GTM sidecar at run time: probes every region on its own Netty loop, follows the local proxies'
 * event files with {@link EventRingReader} agents, feeds the {@link FailoverDecider} on one control
 * thread, writes switches to DNS with the {@link DnsUpdater} on one DNS thread, and serves the admin
 * endpoint. On start it checks the TSIG key against every DNS server, then reads the state from DNS and
 * continues from it (writing the first state record when there is none); the key check repeats with the
 * DNS refresh and feeds {@code /healthz}.
 *
 * <p>Threads: {@code pharos-gtm-control} owns the decider and every field marked "control thread";
 * {@code pharos-gtm-dns} does all DNS I/O; {@code pharos-gtm-loop} runs probes and the admin server;
 * one {@code pharos-event-reader} agent thread per event file.
 */
final class GtmSidecar implements AdminActions, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(GtmSidecar.class.getName());
    private static final long TICK_MILLIS = 100;
    private static final int CONFIRM_ATTEMPTS = 10;
    /** A cluster-down event older than this (a backlog read after a sidecar restart) is no signal. */
    private static final long STALE_EVENT_MILLIS = 10_000;

    private final GtmConfig config;
    private final ScheduledExecutorService control;
    private final ExecutorService dnsThread;
    private final EventLoopGroup loops;
    private final FailoverDecider decider;
    private final DnsUpdater dns;
    private final EpochClock clock = SystemEpochClock.INSTANCE;
    private final long startedNanos = System.nanoTime();
    private final Map<String, RegionProbe> probes = new LinkedHashMap<>();
    private final Map<String, ProbeSlot> slots = new HashMap<>();
    private final Map<String, EventRingReader> readers = new LinkedHashMap<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final SidecarReport report;
    /** Written by the thread that starts and closes the sidecar. */
    private GtmAdminServer admin;
    /** Written by close(); read by every thread. */
    private volatile boolean running = true;

    /** Written by the control thread: the state record the decider follows (the compare-and-set guard of the next switch). */
    private Optional<DnsState> current = Optional.empty();
    /** Set by the control thread when it queues a DNS key check, cleared by the DNS thread when it runs. */
    private final AtomicBoolean checkQueued = new AtomicBoolean();
    /** Written by the control thread: last answer seen on each server. */
    private List<DnsUpdater.Answer> answers = List.of();
    /** Written by the control thread: servers that did not confirm the last switch. */
    private List<HostPort> unconfirmed = List.of();
    /** Written by the control thread. */
    private long switches;
    /** Written by the control thread. */
    private long adoptions;

    private GtmSidecar(GtmConfig config) {
        this.config = config;
        this.control = Executors.newSingleThreadScheduledExecutor(new DefaultThreadFactory("pharos-gtm-control", true));
        this.dnsThread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("pharos-gtm-dns", true));
        this.loops = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pharos-gtm-loop", true), NioIoHandler.newFactory());
        this.decider = FailoverDecider.of(config);
        this.dns = new DnsUpdater(config, d -> Thread.sleep(d.toMillis()), () -> running);
        this.report = new SidecarReport(config, decider, dns, slots, readers);
    }

    /** Starts everything; blocks until the admin endpoint is bound. Call on the main thread. */
    static GtmSidecar start(GtmConfig config) throws InterruptedException {
        GtmSidecar s = new GtmSidecar(config);
        try {
            s.startAll();
        } catch (InterruptedException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void startAll() throws InterruptedException {
        for (Region r : config.regions()) {
            try {
                probes.put(r.name(), RegionProbe.of(r.probe(), loops, config.timeout()));
            } catch (SSLException e) {
                throw new IllegalStateException("region " + r.name() + ": cannot set up the https probe: " + e.getMessage(), e);
            }
            slots.put(r.name(), new ProbeSlot());
            r.eventsFile().ifPresent(file -> {
                EventRingReader reader = EventRingReader.create(file, e -> onProxyEventCrossThread(r.name(), e), clock, 256);
                readers.put(r.name(), reader);
                AgentRunner runner = new AgentRunner(new SleepingMillisIdleStrategy(1),
                        t -> LOG.log(Level.ERROR, "event reader for " + r.name() + " failed", t), null, reader);
                runners.add(runner);
                AgentRunner.startOnThread(runner, new DefaultThreadFactory("pharos-event-reader-" + r.name(), true));
            });
        }
        admin = GtmAdminServer.bind(config.admin(), loops, this);
        LOG.log(Level.INFO, "pharos gtm: admin on {0}, managing {1} in zone {2} via {3}, regions {4}, failback {5}",
                admin.localAddress(), config.names(), config.dns().zone(), config.dns().servers(),
                config.regions().stream().map(Region::name).toList(), config.failback());
        dnsThread.execute(() -> {
            dns.checkServers(true);
            bootstrapState();
        });
        for (Region r : config.regions()) {
            control.execute(() -> probeNow(r.name()));
        }
        control.scheduleWithFixedDelay(guarded("tick", this::tick), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        long refresh = Math.max(1_000, config.interval().toMillis() * 5);
        control.scheduleWithFixedDelay(guarded("DNS refresh", this::refreshFromDns), refresh, refresh, TimeUnit.MILLISECONDS);
        control.scheduleWithFixedDelay(guarded("DNS key check", this::checkDnsServers), refresh, refresh, TimeUnit.MILLISECONDS);
    }

    /**
     * Control thread: queues a signed SOA query to every server on the DNS thread (what keeps
     * {@code /healthz} current), unless one is still queued behind a long update.
     */
    private void checkDnsServers() {
        if (checkQueued.compareAndSet(false, true)) {
            dnsThread.execute(() -> {
                checkQueued.set(false);
                dns.checkServers(false);
            });
        }
    }

    /** A periodic task that logs what it throws instead of silently ending its schedule. */
    private Runnable guarded(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.ERROR, what + " failed", e);
                }
            }
        };
    }

    InetSocketAddress adminAddress() {
        return admin.localAddress();
    }

    private long now() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
    }

    // ---- DNS state -------------------------------------------------------------------------------

    /** DNS thread: read the state, or write the first one, and hand it to the decider. */
    private void bootstrapState() {
        while (running) {
            Optional<Optional<DnsState>> read = dns.readState();
            if (read.isEmpty()) {
                return;
            }
            Optional<DnsState> state = read.get();
            List<DnsUpdater.Answer> seen = answersNow();
            if (state.isPresent() && config.region(state.get().region()).isPresent()) {
                DnsState s = state.get();
                postToControl(control, "the DNS state read at start", () -> {
                    answers = seen;
                    adoptState(s);
                    LOG.log(Level.INFO, "continuing from DNS: {0} active (epoch {1}{2})", s.region(), s.epoch(),
                            s.hold().isEmpty() ? "" : ", automatic failback held: hold=" + s.hold());
                    evaluate();
                });
                return;
            }
            String initial = state.isPresent() ? config.regions().get(0).name() : regionServing(seen);
            LOG.log(Level.INFO, state.isPresent()
                    ? "the DNS state names an unknown region (" + state.get().txt() + "): taking over with " + initial
                    : "no state record in DNS yet: writing it with " + initial + " active");
            DnsUpdater.Outcome o = dns.switchTo(state, initial);
            if (o.kind() == DnsUpdater.Kind.STOPPED) {
                return;
            }
        }
    }

    /** The region whose addresses the first server publishes now, else the first region. */
    private String regionServing(List<DnsUpdater.Answer> seen) {
        if (!seen.isEmpty()) {
            List<String> published = seen.get(0).addresses();
            for (Region r : config.regions()) {
                if (r.addresses().stream().map(InetAddress::getHostAddress).sorted().toList().equals(published)) {
                    return r.name();
                }
            }
        }
        return config.regions().get(0).name();
    }

    private List<DnsUpdater.Answer> answersNow() {
        return config.dns().servers().stream().map(dns::answer).toList();
    }

    /** Control thread: picks up switches made by another sidecar or by hand. */
    private void refreshFromDns() {
        if (decider.pending().isPresent() || decider.active().isEmpty()) {
            return;
        }
        dnsThread.execute(() -> {
            Optional<Optional<DnsState>> read = dns.readState(false);
            List<DnsUpdater.Answer> seen = answersNow();
            postToControl(control, "a DNS refresh", () -> {
                answers = seen;
                read.flatMap(s -> s).ifPresent(s -> {
                    if (decider.pending().isEmpty() && s.epoch() > decider.epoch() && config.region(s.region()).isPresent()) {
                        adoptions++;
                        LOG.log(Level.INFO, "decision: adopt {0} written by another sidecar or by hand", s.txt());
                        adoptState(s);
                    }
                });
            });
        });
    }

    /** Control thread: follow {@code s}, with the hold on automatic failback it carries. */
    private void adoptState(DnsState s) {
        current = Optional.of(s);
        Optional<Hold> hold = s.hold().isEmpty() ? Optional.empty() : Hold.fromTxt(s.hold(), now(), clock.time());
        if (!s.hold().isEmpty() && hold.isEmpty()) {
            LOG.log(Level.WARNING, "the state record {0} has an unreadable hold: ignored", s.txt());
        }
        decider.adopt(now(), s.region(), s.epoch(), hold);
    }

    // ---- probes and events -----------------------------------------------------------------------

    /** Control thread. */
    private void probeNow(String region) {
        ProbeSlot slot = slots.get(region);
        if (!running || slot.inFlight) {
            return;
        }
        if (slot.next != null) {
            slot.next.cancel(false);
            slot.next = null;
        }
        slot.inFlight = true;
        CompletableFuture<ProbeResult> probe;
        try {
            probe = probes.get(region).probe();
        } catch (RuntimeException e) {
            probe = CompletableFuture.completedFuture(ProbeResult.failed("probe not sent: " + e));
        }
        probe.whenComplete((r, t) -> {
            ProbeResult result = t == null ? r : ProbeResult.failed(String.valueOf(t));
            if (running) {
                postToControl(control, "a probe result for " + region, () -> onProbe(region, result));
            }
        });
    }

    /** Control thread. */
    private void onProbe(String region, ProbeResult result) {
        ProbeSlot slot = slots.get(region);
        slot.inFlight = false;
        slot.probes++;
        if (!result.ok()) {
            slot.failures++;
        }
        RegionState before = decider.region(region);
        FailoverDecider.Status was = before.status;
        decider.onProbeRound(now(), region, result.ok(), result.reason());
        if (was != before.status) {
            LOG.log(Level.INFO, "region {0}: {1} -> {2} ({3})", region, was, before.status, result.reason());
        }
        evaluate();
        long delay = (decider.wantsFastProbe(region) ? config.fastInterval() : config.interval()).toMillis();
        slot.next = control.schedule(() -> probeNow(region), delay, TimeUnit.MILLISECONDS);
    }

    /** Event reader thread: hops to the control thread. */
    private void onProxyEventCrossThread(String region, HealthEvent e) {
        if (e.kind() != HealthEvent.Kind.CLUSTER_DOWN && e.kind() != HealthEvent.Kind.CLUSTER_RECOVERED) {
            return;
        }
        long age = clock.time() - e.timeMillis();
        postToControl(control, "an event from the proxy of " + region, () -> {
            ProbeSlot slot = slots.get(region);
            if (e.kind() == HealthEvent.Kind.CLUSTER_DOWN) {
                if (age > STALE_EVENT_MILLIS) {
                    LOG.log(Level.INFO, "proxy of {0}: ignoring a cluster-down event {1} ms old: {2}", region, age, e);
                    return;
                }
                slot.clustersDown.add(e.cluster());
            } else {
                slot.clustersDown.remove(e.cluster());
            }
            decider.onProxyClusterEvent(region, !slot.clustersDown.isEmpty());
            LOG.log(Level.INFO, "proxy of {0} says: {1}", region, e);
            probeNow(region);
        });
    }

    /**
     * Control thread, every {@value #TICK_MILLIS} ms: proxy heartbeats, and a decision even when no
     * probe finished (a min-hold may have run out between two slow rounds).
     */
    private void tick() {
        pollHeartbeats();
        evaluate();
    }

    /** Control thread. */
    private void pollHeartbeats() {
        long wall = clock.time();
        readers.forEach((region, reader) -> {
            ProxyView was = decider.region(region).proxyView;
            decider.onHeartbeatAge(region, reader.heartbeatAgeMillis(wall));
            ProxyView is = decider.region(region).proxyView;
            if (was != is) {
                LOG.log(Level.INFO, "proxy of {0}: {1} -> {2} (heartbeat age {3} ms)", region, was, is,
                        reader.heartbeatAgeMillis(wall));
                probeNow(region);
            }
        });
    }

    // ---- decisions -------------------------------------------------------------------------------

    /** Control thread. */
    private void evaluate() {
        decider.evaluate(now()).ifPresent(this::act);
    }

    /** Control thread. */
    private void act(Decision d) {
        switch (d.kind()) {
            case SWITCH -> {
                LOG.log(Level.WARNING, "decision: {0}", d);
                execute(d);
            }
            case ALERT -> LOG.log(Level.ERROR, "decision: ALERT {0}", d);
            case CLEAR -> LOG.log(Level.INFO, "decision: {0}", d);
        }
    }

    /** Control thread: writes the switch on the DNS thread and reports back. */
    private void execute(Decision d) {
        Optional<DnsState> expected = current;
        String hold = d.hold().map(h -> h.txt(now(), clock.time())).orElse("");
        dnsThread.execute(() -> {
            DnsUpdater.Outcome o = dns.switchTo(expected, d.to(), hold);
            List<HostPort> notYet = o.kind() == DnsUpdater.Kind.APPLIED ? dns.confirm(o.state().orElseThrow(), CONFIRM_ATTEMPTS) : List.of();
            List<DnsUpdater.Answer> seen = answersNow();
            postToControl(control, "the outcome of " + d, () -> onOutcome(d, o, notYet, seen));
        });
    }

    /**
     * Any thread: hands {@code task} to the control executor; once {@link #close()} has shut that down, drops
     * it with a debug line (a DNS write or probe that finished during shutdown has no one left to tell).
     */
    static void postToControl(ExecutorService control, String what, Runnable task) {
        try {
            control.execute(task);
        } catch (RejectedExecutionException e) {
            if (!control.isShutdown()) {
                throw e;
            }
            LOG.log(Level.DEBUG, "sidecar closed: dropped {0}", what);
        }
    }

    /** Control thread. */
    private void onOutcome(Decision d, DnsUpdater.Outcome o, List<HostPort> notYet, List<DnsUpdater.Answer> seen) {
        answers = seen;
        switch (o.kind()) {
            case APPLIED -> {
                DnsState s = o.state().orElseThrow();
                switches++;
                unconfirmed = notYet;
                current = Optional.of(s);
                decider.switched(now(), s.region(), s.epoch(), d.hold());
                LOG.log(Level.WARNING, "switched to {0} (epoch {1}); {2}", s.region(), s.epoch(),
                        notYet.isEmpty() ? "every server serves it" : "not yet served by " + notYet);
            }
            case CONFLICT -> {
                Optional<DnsState> s = o.state().filter(x -> config.region(x.region()).isPresent());
                if (s.isPresent()) {
                    adoptions++;
                    adoptState(s.get());
                    LOG.log(Level.INFO, "decision: adopt {0}: {1}", s.get().txt(), o.detail());
                } else {
                    decider.switchFailed();
                }
            }
            case STOPPED -> decider.switchFailed();
        }
        evaluate();
    }

    // ---- admin -----------------------------------------------------------------------------------

    private <T> CompletableFuture<T> onControl(Supplier<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        control.execute(() -> {
            try {
                f.complete(work.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e.getCause() instanceof FailoverDecider.RefusedException r ? r : e);
            }
        });
        return f;
    }

    @Override
    public CompletableFuture<Decision> failover(String toRegion, Optional<Duration> hold) {
        return onControl(() -> {
            try {
                Decision d = decider.requestFailover(now(), toRegion, hold);
                act(d);
                return d;
            } catch (FailoverDecider.RefusedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Override
    public CompletableFuture<Decision> failback() {
        return onControl(() -> {
            try {
                Decision d = decider.requestFailback(now());
                act(d);
                return d;
            } catch (FailoverDecider.RefusedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    @Override
    public CompletableFuture<Health> healthz() {
        return onControl(report::health);
    }

    @Override
    public CompletableFuture<String> statusJson() {
        return onControl(() -> Json.write(report.status(now(), clock.time(),
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos), answers, unconfirmed, switches, adoptions)));
    }

    @Override
    public CompletableFuture<String> metricsText() {
        return onControl(() -> report.metrics(clock.time(), switches, adoptions));
    }

    @Override
    public void close() {
        running = false;
        if (admin != null) {
            admin.close();
        }
        runners.forEach(AgentRunner::close);
        control.shutdownNow();
        dnsThread.shutdownNow();
        try {
            control.awaitTermination(10, TimeUnit.SECONDS);
            dnsThread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
