package io.pharos.proxy.server;

import io.pharos.proxy.admin.AdminActions;
import io.pharos.proxy.admin.AdminView;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.ConfigException;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.continuity.ContinuityJson;
import io.pharos.proxy.continuity.ContinuityMetrics;
import io.pharos.proxy.continuity.ContinuityRuntime;
import io.pharos.proxy.continuity.ContinuityStatus;
import io.pharos.proxy.metrics.MetricsRegistry;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The proxy as operated: the {@link PharosServer} plus the changes that run on its single control
 * thread ({@code pharos-control}) one at a time — reloads (SIGHUP, {@code POST /reload}), operator
 * drain/ready/weight with the state file, and graceful shutdown; health verdicts and ejection
 * decisions run on the same thread, so they never interleave with a reload.
 * Methods named {@code …Async} post to the control thread and return at once; the others say which
 * thread they need. It is the admin API's {@link AdminView} and {@link AdminActions}.
 */
public final class ProxyRuntime implements AdminView, AdminActions, AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ProxyRuntime.class.getName());

    private final Optional<Path> configFile;
    private final PharosServer server;
    /** The server's control thread; this class posts every change to it. */
    private final ScheduledExecutorService control;
    private final MetricsRegistry metrics;
    private final OperatorOverrides overrides;
    private final Instant started = Instant.now();
    private final AtomicLong reloadsOk = new AtomicLong();
    private final AtomicLong reloadsFailed = new AtomicLong();
    /** Written by the control thread after each reload; read by the admin API. */
    private volatile ReloadResult lastReload;
    /** Set once by the thread that starts shutdown: {@code /healthz} answers 503. */
    private volatile boolean shuttingDown;
    /** Drain generation per action, so an old drain deadline does nothing after ready; control thread. */
    private long drainGeneration;

    private ProxyRuntime(Optional<Path> configFile, PharosServer server, MetricsRegistry metrics, OperatorOverrides overrides) {
        this.configFile = configFile;
        this.server = server;
        this.metrics = metrics;
        this.overrides = overrides;
        this.control = server.control();
    }

    /**
     * Starts the server for {@code config} (read from {@code configFile}, which reloads read again),
     * applies the state file's overrides and registers the metrics. Blocks: call on the main thread.
     *
     * @throws IllegalStateException when a listener cannot be bound or the state file cannot be read
     */
    public static ProxyRuntime start(PharosConfig config) throws InterruptedException, IOException {
        OperatorOverrides overrides = new OperatorOverrides(config.admin().stateFile());
        overrides.load();
        AccessLog accessLog = AccessLog.open(config.accessLog());
        PharosServer server;
        try {
            server = PharosServer.start(config, accessLog);
        } catch (RuntimeException | InterruptedException e) {
            accessLog.close();
            throw e;
        }
        MetricsRegistry registry = MetricsRegistry.create();
        ProxyRuntime rt = new ProxyRuntime(config.source(), server, registry, overrides);
        if (overrides.applyTo(server.clusters())) {
            overrides.save();
        }
        registry.register(new ServerMetrics(server));
        registry.register(new ContinuityMetrics(server::continuity));
        registry.counter("pharos_reloads_ok_total", "Config reloads applied", rt.reloadsOk::get);
        registry.counter("pharos_reloads_failed_total", "Config reloads rejected (old config kept)", rt.reloadsFailed::get);
        registry.counter("pharos_access_log_dropped_total", "Access log lines dropped (queue full)", accessLog::dropped);
        registry.counter("pharos_health_events_dropped_total", "Health events dropped (publisher queue full)", server.healthEvents()::droppedCount);
        server.eventRing().ifPresent(ring -> registry.counter("pharos_event_file_dropped_total",
                "Health events dropped because the sidecar's event file ring was full", ring::droppedCount));
        registry.gauge("pharos_shutting_down", "1 once SIGTERM was received", () -> rt.shuttingDown ? 1 : 0);
        return rt;
    }

    public PharosServer server() {
        return server;
    }

    /** The registry {@code GET /metrics} renders; other parts may register their numbers here. */
    public MetricsRegistry metrics() {
        return metrics;
    }

    @Override
    public Optional<Path> configFile() {
        return configFile;
    }

    @Override
    public Instant started() {
        return started;
    }

    /** The last reload's result, or null before the first. */
    @Override
    public ReloadResult lastReload() {
        return lastReload;
    }

    /** Reloads applied since start. */
    @Override
    public long reloadsOk() {
        return reloadsOk.get();
    }

    /** Reloads rejected since start (the old config kept running). */
    @Override
    public long reloadsFailed() {
        return reloadsFailed.get();
    }

    /** False once shutdown started: {@code /healthz} answers 503. */
    @Override
    public boolean isServing() {
        return !shuttingDown;
    }

    @Override
    public List<AdminView.Listener> listeners() {
        List<AdminView.Listener> out = new ArrayList<>();
        for (BoundListener l : server.listeners()) {
            out.add(new AdminView.Listener(l.config().name(), l.config().protocol().name().toLowerCase(), l.localAddress(),
                    l.config().cluster(), server.activeConnections(l.config().name())));
        }
        return out;
    }

    @Override
    public List<ClusterSnapshot> clusters() {
        List<ClusterSnapshot> out = new ArrayList<>();
        for (Cluster c : server.clusters().values()) {
            out.add(c.snapshot());
        }
        return out;
    }

    @Override
    public ClusterSnapshot cluster(String name) {
        Cluster c = server.cluster(name);
        return c == null ? null : c.snapshot();
    }

    @Override
    public String continuityJson() {
        ContinuityRuntime c = server.continuity();
        ContinuityStatus s = c == null ? null : c.status();
        return s == null ? ContinuityJson.disabled() : ContinuityJson.render(s, server.config().clusters().values());
    }

    @Override
    public String scrapeMetrics() {
        return metrics.scrape();
    }

    /** Re-reads the config file and applies it on the control thread (SIGHUP, {@code POST /reload}). */
    @Override
    public CompletableFuture<ReloadResult> reloadAsync() {
        return CompletableFuture.supplyAsync(this::reload, control);
    }

    private ReloadResult reload() {
        ReloadResult r;
        if (configFile.isEmpty()) {
            r = new ReloadResult(Instant.now(), false, List.of("config: started without a file, nothing to reload"), List.of());
        } else if (shuttingDown) {
            r = new ReloadResult(Instant.now(), false, List.of("reload: shutting down"), List.of());
        } else {
            try {
                PharosConfig before = server.config();
                PharosConfig next = ConfigLoader.load(configFile.get());
                r = server.applyConfig(next);
                if (r.ok() && overrides.applyTo(server.clusters())) {
                    saveOverrides();
                }
                if (r.ok()) {
                    r = r.withNotes(overrides.shadowedWeights(before, next));
                }
            } catch (ConfigException e) {
                r = new ReloadResult(Instant.now(), false, e.problems(), List.of());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r = new ReloadResult(Instant.now(), false, List.of("reload: interrupted"), List.of());
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "reload failed unexpectedly", e);
                r = new ReloadResult(Instant.now(), false, List.of("reload: " + e), List.of());
            }
        }
        // published before the counters: whoever sees a counter move also sees this result
        lastReload = r;
        if (r.ok()) {
            reloadsOk.incrementAndGet();
            LOG.info("reload ok: " + (r.notes().isEmpty() ? "no change" : String.join("; ", r.notes()))
                    + "; listeners " + server.describeListeners());
        } else {
            reloadsFailed.incrementAndGet();
            for (String e : r.errors()) {
                LOG.warning("reload failed, old config kept: " + e);
            }
        }
        return r;
    }

    /**
     * Operator drain: the backend gets no new requests or connections; in-flight ones finish. With a
     * {@code timeout}, its connections still open when it expires are closed. Kept in the state file.
     */
    @Override
    public CompletableFuture<Outcome> drainAsync(String cluster, String backend, Optional<Duration> timeout) {
        return CompletableFuture.supplyAsync(() -> {
            Outcome o = change(cluster, backend, true, null);
            if (o == Outcome.OK && timeout.isPresent()) {
                long generation = ++drainGeneration;
                control.schedule(() -> closeIfStillDraining(cluster, backend, generation), timeout.get().toMillis(), TimeUnit.MILLISECONDS);
            }
            return o;
        }, control);
    }

    private void closeIfStillDraining(String cluster, String backend, long generation) {
        Cluster c = server.cluster(cluster);
        ClusterMember m = c == null ? null : c.snapshot().member(backend);
        if (generation != drainGeneration || m == null || !overrides.get(cluster, backend).draining()) {
            return;
        }
        Backend b = m.backend();
        LOG.info("drain deadline of " + b + ": closing " + b.connections().size() + " remaining connections");
        b.connections().close();
    }

    /** Undoes a drain, and only that: a weight override stays until {@link #clearWeightAsync}. */
    @Override
    public CompletableFuture<Outcome> readyAsync(String cluster, String backend) {
        return CompletableFuture.supplyAsync(() -> change(cluster, backend, false, null), control);
    }

    /** Sets the backend's weight (0..65535) over the config's, across reloads and restarts. */
    @Override
    public CompletableFuture<Outcome> weightAsync(String cluster, String backend, int weight) {
        if (weight < 0 || weight > 65535) {
            throw new IllegalArgumentException("weight: " + weight + " (expected: 0..65535)");
        }
        return CompletableFuture.supplyAsync(() -> change(cluster, backend, null, OptionalInt.of(weight)), control);
    }

    /** Removes the backend's weight override: the config's weight applies again. */
    @Override
    public CompletableFuture<Outcome> clearWeightAsync(String cluster, String backend) {
        return CompletableFuture.supplyAsync(() -> change(cluster, backend, null, OptionalInt.empty()), control);
    }

    /** Control thread: an operator change; {@code weight} null leaves the weight alone, empty clears the override. */
    private Outcome change(String cluster, String backend, Boolean draining, OptionalInt weight) {
        Cluster c = server.cluster(cluster);
        if (c == null) {
            return Outcome.NO_CLUSTER;
        }
        if (c.snapshot().member(backend) == null) {
            return Outcome.NO_BACKEND;
        }
        OperatorOverrides.Override o = overrides.get(cluster, backend);
        if (draining != null) {
            c.setDraining(backend, draining);
            o = new OperatorOverrides.Override(draining, o.weight());
            LOG.info("operator: " + cluster + "/" + backend + (draining ? " draining" : " ready"));
        }
        if (weight != null && weight.isPresent()) {
            c.setWeightOverride(backend, weight.getAsInt());
            o = new OperatorOverrides.Override(o.draining(), weight);
            LOG.info("operator: " + cluster + "/" + backend + " weight " + weight.getAsInt());
        } else if (weight != null) {
            c.clearWeightOverride(backend);
            o = new OperatorOverrides.Override(o.draining(), weight);
            LOG.info("operator: " + cluster + "/" + backend + " weight override removed; config weight "
                    + c.snapshot().member(backend).weight() + " applies");
        }
        overrides.put(cluster, backend, o);
        saveOverrides();
        return Outcome.OK;
    }

    private void saveOverrides() {
        try {
            overrides.save();
        } catch (IOException e) {
            LOG.warning("state file: cannot write: " + e);
        }
    }

    /**
     * Graceful shutdown (SIGTERM), blocking the calling thread: {@code /healthz} turns 503 and HTTP
     * responses carry {@code Connection: close} at once; after {@code shutdown.delay} the listeners stop
     * accepting and idle HTTP connections close; connections with work in flight get up to
     * {@code shutdown.drain-timeout} to finish; then everything is closed.
     */
    public void shutdownGracefully() throws InterruptedException {
        shuttingDown = true;
        server.endKeepAlive();
        try {
            // a reload in progress finishes first (later ones refuse); its new listeners end keep-alive too
            control.submit(server::endKeepAlive).get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
        PharosConfig cfg = server.config();
        LOG.info("shutdown: healthz 503; listeners close in " + cfg.shutdown().delay().toMillis() + " ms");
        Thread.sleep(cfg.shutdown().delay().toMillis());
        server.stopAccepting();
        long deadline = System.nanoTime() + cfg.shutdown().drainTimeout().toNanos();
        long nextNudge = 0;
        while (server.openClientConnections() > 0 && System.nanoTime() - deadline < 0) {
            if (System.nanoTime() - nextNudge >= 0) {
                server.closeIdleClientConnections();
                nextNudge = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            }
            Thread.sleep(20);
        }
        int left = server.openClientConnections();
        LOG.info("shutdown: " + (left == 0 ? "all connections finished" : left + " connections still open at the drain timeout, closing them"));
        close();
    }

    /** Stops everything now. Blocks up to a few seconds. */
    @Override
    public void close() {
        shuttingDown = true;
        server.close();
        server.accessLog().close();
    }
}
