package io.pharos.proxy.server;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.health.event.ipc.EventRingDescriptor;
import io.pharos.health.event.ipc.EventRingWriter;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ContinuityConfig;
import io.pharos.proxy.continuity.ContinuityObserver;
import io.pharos.proxy.continuity.ContinuityRuntime;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.tls.TlsException;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;
import org.agrona.concurrent.SystemEpochClock;

import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The running proxy and its composition root: builds the event loops, the {@link ControlThread}, the
 * health event publisher and the sidecar's event file, the {@link Upstreams} (pools, clusters, health
 * checks, upstream TLS) and the {@link Listeners} over them, and closes them in order. Started,
 * reloaded ({@link #applyConfig}) and stopped by the control thread; the data plane runs on the loops.
 * Other threads read the current clusters and listeners through immutable maps published with one
 * volatile write each.
 */
public final class PharosServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PharosServer.class.getName());
    /** How often the event file's heartbeat is stamped (the sidecar's staleness check relies on it). */
    private static final Duration EVENT_HEARTBEAT = Duration.ofMillis(100);

    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoopGroup acceptGroup;
    private final AccessLog accessLog;
    private final ControlThread control;
    private final HealthEventPublisher healthEvents;
    /** The GTM sidecar's event file writer ({@code events.file}), if configured; used by the publisher thread. */
    private final Optional<EventRingWriter> eventRing;
    private final Upstreams upstreams;
    private final Listeners listeners;
    /** On every HTTP listener for the life of the server; the running continuity behind it changes with reloads. */
    private final ContinuityObserver continuityObserver = new ContinuityObserver();
    /** Data continuity, when {@code pharos.continuity} is configured; written by the control thread. */
    private volatile ContinuityRuntime continuity;
    /** The running config; written by the control thread on start and reload. */
    private volatile PharosConfig config;
    /** Set once by the first {@link #close()}. */
    private final AtomicBoolean closed = new AtomicBoolean();

    private PharosServer(PharosConfig config, Transport transport, AccessLog accessLog) {
        this.config = config;
        this.transport = transport;
        this.accessLog = accessLog;
        UpstreamTls upstreamTls;
        try {
            upstreamTls = UpstreamTls.create(config.clusters().values());
        } catch (TlsException e) {
            throw new IllegalStateException(String.join("; ", e.problems()), e);
        }
        this.group = transport.newGroup(config.effectiveWorkers(), "pharos-loop");
        this.acceptGroup = transport.newGroup(1, "pharos-accept");
        this.healthEvents = HealthEventPublisher.start(HealthEventPublisher.DEFAULT_CAPACITY, "pharos-health-events");
        this.eventRing = config.events().map(ev -> {
            EventRingWriter w = EventRingWriter.open(ev.file(), ev.capacity(), EventRingDescriptor.DEFAULT_BROADCAST_CAPACITY,
                    SystemEpochClock.INSTANCE);
            healthEvents.addListener(w);
            healthEvents.schedulePeriodic(EVENT_HEARTBEAT, w::heartbeat);
            return w;
        });
        this.control = new ControlThread();
        this.upstreams = new Upstreams(config, transport, group, upstreamTls, control, healthEvents);
        this.listeners = new Listeners(transport, acceptGroup, group, accessLog, upstreams, continuityObserver);
    }

    /** {@link #start(PharosConfig, AccessLog)} without an access log. */
    public static PharosServer start(PharosConfig config) throws InterruptedException {
        return start(config, AccessLog.disabled());
    }

    /**
     * Builds the loops and clusters and binds every listener; if one cannot be bound, everything
     * started so far is stopped and the exception is thrown. Blocks until bound: control thread.
     */
    public static PharosServer start(PharosConfig config, AccessLog accessLog) throws InterruptedException {
        PharosServer server = new PharosServer(config, Transport.best(), accessLog);
        try {
            if (config.continuity().isPresent()) {
                server.useContinuity(server.startContinuity(config.continuity().get()));
            }
            Map<String, ListenerSlot> bound = new LinkedHashMap<>();
            for (ListenerConfig l : config.listeners()) {
                bound.put(l.name(), server.listeners.bind(l, server.upstreams.clusters(), config));
            }
            server.listeners.publish(bound);
        } catch (Listeners.BindException e) {
            server.close();
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IOException e) {
            server.close();
            throw new IllegalStateException("pharos.continuity: " + e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        LOG.info("pharos started: transport " + server.transport.name() + ", " + config.effectiveWorkers()
                + " event loops, listeners " + server.describeListeners());
        return server;
    }

    /**
     * Applies a validated config as a diff (see {@link ConfigApplier}): all or nothing. Control thread;
     * blocks while binding new ports.
     */
    public ReloadResult applyConfig(PharosConfig next) throws InterruptedException {
        return new ConfigApplier(this, listeners, upstreams).apply(next);
    }

    /** The commit of a reload: the new clusters, listeners and config, each with one volatile write. Control thread. */
    void publish(PharosConfig next, Map<String, Cluster> newClusters, Map<String, ListenerSlot> newListeners) {
        upstreams.publish(newClusters);
        listeners.publish(newListeners);
        this.config = next;
    }

    /**
     * Opens the journal and starts shipping, receiving and applying for {@code config}; not yet used by the
     * listeners ({@link #useContinuity}). Control thread: blocks on the disk and on binding.
     */
    ContinuityRuntime startContinuity(ContinuityConfig config) throws IOException {
        return ContinuityRuntime.start(config, name -> upstreams.clusters().get(name), upstreams.health(), upstreams.upstreamTls(), group, transport);
    }

    /** The listeners' replicated writes go to {@code runtime} (null: none) from now on. Control thread. */
    void useContinuity(ContinuityRuntime runtime) {
        continuity = runtime;
        continuityObserver.use(runtime);
    }

    /** The running data continuity, or null. */
    public ContinuityRuntime continuity() {
        return continuity;
    }

    /** The control thread, for {@link ProxyRuntime}'s changes. */
    ScheduledExecutorService control() {
        return control.executor();
    }

    public PharosConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    public Cluster cluster(String name) {
        return upstreams.clusters().get(name);
    }

    public Map<String, Cluster> clusters() {
        return upstreams.clusters();
    }

    public BoundListener listener(String name) {
        return listeners.listener(name);
    }

    public List<BoundListener> listeners() {
        return listeners.listeners();
    }

    /** Counters of the current listeners, by name. */
    public Map<String, ListenerMetrics> listenerMetrics() {
        return listeners.metricsByListener();
    }

    /** Open client connections of a listener (0 if unknown). */
    int activeConnections(String listener) {
        return listeners.activeConnections(listener);
    }

    /** Where health events go: add listeners (the event IPC writer, tests) here. */
    public HealthEventPublisher healthEvents() {
        return healthEvents;
    }

    /** The event file writer for the GTM sidecar, when {@code events.file} is set (its drop count is a metric). */
    Optional<EventRingWriter> eventRing() {
        return eventRing;
    }

    AccessLog accessLog() {
        return accessLog;
    }

    /** Idle pooled backend connections over all loops; asks each loop (blocks briefly). */
    public int idleBackendConnections() throws Exception {
        return upstreams.idleBackendConnections();
    }

    String describeListeners() {
        return listeners.describe();
    }

    /**
     * Graceful stop, step one: listeners stop accepting and every HTTP connection closes after its
     * next response. Control thread.
     */
    void stopAccepting() {
        listeners.stopAccepting();
    }

    /** Every HTTP context answers with {@code Connection: close} from now on. Control thread. */
    void endKeepAlive() {
        listeners.endKeepAlive();
    }

    /** Open client connections over all listeners. */
    int openClientConnections() {
        return listeners.openClientConnections();
    }

    /** Asks every HTTP client connection with nothing in flight to close now. */
    void closeIdleClientConnections() {
        listeners.closeIdleClientConnections();
    }

    /**
     * Stops accepting and closes client connections, stops health checks and the control thread, the
     * event publisher and file, pooled connections and the loops. Blocks up to a few seconds; later
     * calls do nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        listeners.close();
        ContinuityRuntime c = continuity;
        if (c != null) {
            useContinuity(null);
            c.close();
        }
        control.close(upstreams.health()::close);
        healthEvents.close();
        eventRing.ifPresent(EventRingWriter::close);
        upstreams.closePools();
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
