package io.pharos.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.util.concurrent.EventExecutor;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.health.event.ipc.EventRingDescriptor;
import io.pharos.health.event.ipc.EventRingWriter;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.EventsConfig;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.PharosConfig.Protocol;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.h2.HttpListenerInitializer;
import io.pharos.proxy.l4.TcpProxyInitializer;
import io.pharos.proxy.l7.BackendConnectionPool;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.EjectionCounter;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.tls.Alpn;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.TlsException;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;
import org.agrona.concurrent.SystemEpochClock;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * The running proxy: event loops, per-loop backend pools, clusters and bound listeners. Started,
 * reloaded ({@link #applyConfig}) and stopped by the control thread; the data plane runs on the loops.
 * Other threads (admin) read the current clusters and listeners through immutable maps published
 * with one volatile write.
 */
public final class PharosServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PharosServer.class.getName());
    /** How often the event file's heartbeat is stamped (the sidecar's staleness check relies on it). */
    private static final Duration EVENT_HEARTBEAT = Duration.ofMillis(100);

    /** A bound listener and what its connections share ({@code context} is null for TCP, {@code tls} for cleartext). */
    public record BoundListener(ListenerConfig config, Channel channel, ListenerContext context, ListenerTls tls) {
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.localAddress();
        }
    }

    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoopGroup acceptGroup;
    private final Map<EventLoop, BackendConnectionPool> pools;
    private final AccessLog accessLog;
    /** Client TLS contexts of clusters with upstream-tls; a reload prepares those of new clusters. */
    private final UpstreamTls upstreamTls;
    /** Listener counters by name, kept while a listener of that name exists. */
    private final Map<String, ListenerMetrics> listenerMetrics = new ConcurrentHashMap<>();
    /** The running config; written by the control thread on start and reload. */
    private volatile PharosConfig config;
    /** Immutable; replaced by the control thread. */
    private volatile Map<String, Cluster> clusters = Map.of();
    /** Immutable, in config order; replaced by the control thread. */
    private volatile Map<String, ListenerSlot> listeners = Map.of();
    /**
     * The proxy's one control thread ({@code pharos-control}): reloads, operator actions and the state
     * file ({@link ProxyRuntime}), health check verdicts and ejection decisions ({@link ProxyHealth}),
     * one task at a time and never on an event loop. Closed with the server.
     */
    private final ScheduledThreadPoolExecutor control;
    /** The thread {@link #control} runs on; written by its thread factory. */
    private volatile Thread controlThread;
    private final HealthEventPublisher healthEvents;
    private final ProxyHealth health;
    /** The GTM sidecar's event file writer ({@code events.file}), if configured; used by the publisher thread. */
    private final Optional<EventRingWriter> eventRing;
    /** Set once by the first {@link #close()}. */
    private final AtomicBoolean closed = new AtomicBoolean();

    private PharosServer(PharosConfig config, Transport transport, AccessLog accessLog) {
        this.config = config;
        this.transport = transport;
        this.accessLog = accessLog;
        try {
            this.upstreamTls = UpstreamTls.create(config.clusters().values());
        } catch (TlsException e) {
            throw new IllegalStateException(String.join("; ", e.problems()), e);
        }
        this.group = transport.newGroup(config.effectiveWorkers(), "pharos-loop");
        this.acceptGroup = transport.newGroup(1, "pharos-accept");
        Map<EventLoop, BackendConnectionPool> p = new IdentityHashMap<>();
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            BackendConnectionPool pool = new BackendConnectionPool(loop, transport, upstreamTls);
            pool.start();
            p.put(loop, pool);
        }
        this.pools = Collections.unmodifiableMap(p);
        Map<String, Cluster> c = new LinkedHashMap<>();
        for (ClusterConfig cc : config.clusters().values()) {
            c.put(cc.name(), newCluster(cc));
        }
        this.clusters = Collections.unmodifiableMap(c);
        this.healthEvents = HealthEventPublisher.start(HealthEventPublisher.DEFAULT_CAPACITY, "pharos-health-events");
        this.eventRing = config.events().map(ev -> {
            EventRingWriter w = EventRingWriter.open(ev.file(), ev.capacity(), EventRingDescriptor.DEFAULT_BROADCAST_CAPACITY,
                    SystemEpochClock.INSTANCE);
            healthEvents.addListener(w);
            healthEvents.schedulePeriodic(EVENT_HEARTBEAT, w::heartbeat);
            return w;
        });
        this.control = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pharos-control");
            t.setDaemon(true);
            controlThread = t;
            return t;
        });
        control.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.health = ProxyHealth.create(config.events().map(EventsConfig::region).orElse(""), group,
                new ReflectiveChannelFactory<>(transport.socketChannel()), control, healthEvents);
        onControl(() -> clusters.values().forEach(health::attach));
    }

    /** Runs {@code task} on the control thread and waits for it; on the control thread itself, runs it now. */
    private void onControl(Runnable task) {
        if (Thread.currentThread() == controlThread) {
            task.run();
            return;
        }
        try {
            control.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while changing health checks", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot change health checks: " + e.getCause(), e.getCause());
        }
    }

    /** Starts health checks of clusters a reload added and stops those of clusters it removed. Control thread. */
    void updateHealth(List<Cluster> added, List<Cluster> removed) {
        onControl(() -> {
            removed.forEach(health::detach);
            added.forEach(health::attach);
        });
    }

    /** A new cluster, watched for metrics. Resolves addresses: control thread. */
    static Cluster newCluster(ClusterConfig config) {
        Cluster c = new Cluster(config, System::nanoTime, ConfiguredLoadBalancerFactory::of);
        c.addListener(EjectionCounter.INSTANCE);
        return c;
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
            Map<String, ListenerSlot> bound = new LinkedHashMap<>();
            for (ListenerConfig l : config.listeners()) {
                bound.put(l.name(), server.bind(l, server.clusters, config));
            }
            server.listeners = Collections.unmodifiableMap(bound);
        } catch (BindException e) {
            server.close();
            throw new IllegalStateException(e.getMessage(), e);
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        LOG.info("pharos started: transport " + server.transport.name() + ", " + config.effectiveWorkers()
                + " event loops, listeners " + server.describeListeners());
        return server;
    }

    /** A listener that could not be bound. */
    static final class BindException extends Exception {
        BindException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Creates a slot for {@code l} over {@code clusterMap} and binds it. Blocks: control thread. */
    ListenerSlot bind(ListenerConfig l, Map<String, Cluster> clusterMap, PharosConfig cfg) throws BindException, InterruptedException {
        ListenerMetrics metrics = listenerMetrics(l.name());
        ListenerContext context = newContext(l, clusterMap, cfg, metrics);
        ListenerTls tls = null;
        if (l.tls().isPresent()) {
            try {
                tls = ListenerTls.create(l.tls().get(), alpn(l));
            } catch (TlsException e) {
                throw new BindException("listener " + l.name() + ": " + String.join("; ", e.problems()), e);
            }
        }
        ListenerSlot slot = new ListenerSlot(l, metrics, newInitializer(l, clusterMap, context, tls), context, tls);
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptGroup, group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(slot.acceptor());
        try {
            slot.bound(b.bind(l.listen().resolve()).sync().channel());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new BindException("listener " + l.name() + ": cannot bind " + l.listen() + ": " + e.getMessage(), e);
        }
        return slot;
    }

    /** What a listener's TLS offers by ALPN: HTTP versions on HTTP listeners, nothing on TCP ones. */
    static Alpn alpn(ListenerConfig l) {
        return l.protocol() == Protocol.HTTP ? Alpn.HTTP : Alpn.NONE;
    }

    /** The counters of the listener called {@code name}, made on first use. Control thread. */
    ListenerMetrics listenerMetrics(String name) {
        return listenerMetrics.computeIfAbsent(name, n -> new ListenerMetrics(n, group, System::nanoTime, accessLog));
    }

    /** The HTTP context a listener's connections share, or null for TCP. */
    ListenerContext newContext(ListenerConfig l, Map<String, Cluster> clusterMap, PharosConfig cfg, ListenerMetrics metrics) {
        return switch (l.protocol()) {
            case HTTP -> new ListenerContext(l.name(), clusterMap.get(l.cluster()), cfg.http(), l.tls().isPresent(), health, metrics,
                    cfg.shutdown().drainTimeout());
            case TCP -> null;
        };
    }

    ChannelHandler newInitializer(ListenerConfig l, Map<String, Cluster> clusterMap, ListenerContext context, ListenerTls tls) {
        return switch (l.protocol()) {
            case HTTP -> new HttpListenerInitializer(new HttpProxyInitializer(context, pools::get), tls, l.acceptProxyProtocol());
            case TCP -> new TcpProxyInitializer(clusterMap.get(l.cluster()), transport, health, l.acceptProxyProtocol(), l.splice(),
                    upstreamTls, tls);
        };
    }

    /**
     * Applies a validated config as a diff (see {@link ConfigApplier}): all or nothing. Control thread;
     * blocks while binding new ports.
     */
    public ReloadResult applyConfig(PharosConfig next) throws InterruptedException {
        return new ConfigApplier(this).apply(next);
    }

    void publish(PharosConfig next, Map<String, Cluster> newClusters, Map<String, ListenerSlot> newListeners) {
        this.clusters = Collections.unmodifiableMap(newClusters);
        this.listeners = Collections.unmodifiableMap(newListeners);
        this.config = next;
        listenerMetrics.keySet().retainAll(newListeners.keySet());
    }

    Map<String, ListenerSlot> slots() {
        return listeners;
    }

    /** Runs {@code task} after {@code delayMillis} on a proxy thread (not a data-plane loop). */
    void schedule(Runnable task, long delayMillis) {
        acceptGroup.next().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    /** The control thread, for {@link ProxyRuntime}'s changes. */
    ScheduledExecutorService control() {
        return control;
    }

    public PharosConfig config() {
        return config;
    }

    public Transport transport() {
        return transport;
    }

    public Cluster cluster(String name) {
        return clusters.get(name);
    }

    public Map<String, Cluster> clusters() {
        return clusters;
    }

    public BoundListener listener(String name) {
        ListenerSlot s = listeners.get(name);
        return s == null ? null : view(s);
    }

    public List<BoundListener> listeners() {
        List<BoundListener> out = new ArrayList<>();
        for (ListenerSlot s : listeners.values()) {
            out.add(view(s));
        }
        return out;
    }

    /** Counters of the current listeners, by name. */
    public Map<String, ListenerMetrics> listenerMetrics() {
        Map<String, ListenerMetrics> out = new LinkedHashMap<>();
        for (ListenerSlot s : listeners.values()) {
            out.put(s.config().name(), s.metrics());
        }
        return out;
    }

    /** Open client connections of a listener (0 if unknown). */
    public int activeConnections(String listener) {
        ListenerSlot s = listeners.get(listener);
        return s == null ? 0 : s.children().size();
    }

    /** Active checks, outlier detection and retry budgets of the clusters. */
    public ProxyHealth health() {
        return health;
    }

    /** Where health events go: add listeners (the event IPC writer, tests) here. */
    public HealthEventPublisher healthEvents() {
        return healthEvents;
    }

    /** The event file writer for the GTM sidecar, when {@code events.file} is set (its drop count is a metric). */
    public Optional<EventRingWriter> eventRing() {
        return eventRing;
    }

    public UpstreamTls upstreamTls() {
        return upstreamTls;
    }

    public AccessLog accessLog() {
        return accessLog;
    }

    private static BoundListener view(ListenerSlot s) {
        return new BoundListener(s.config(), s.channel(), s.context(), s.tls());
    }

    public EventLoopGroup eventLoops() {
        return group;
    }

    /** Idle pooled backend connections over all loops; asks each loop (blocks briefly). */
    public int idleBackendConnections() throws Exception {
        int n = 0;
        for (BackendConnectionPool p : pools.values()) {
            n += p.loop().submit(p::idleCount).get(5, TimeUnit.SECONDS);
        }
        return n;
    }

    String describeListeners() {
        List<String> out = new ArrayList<>();
        for (BoundListener l : listeners()) {
            out.add(l.config().name() + "=" + l.config().protocol().name().toLowerCase() + "://" + l.localAddress().getHostString() + ":" + l.localAddress().getPort()
                    + "->" + l.config().cluster());
        }
        return String.join(", ", out);
    }

    /**
     * Graceful stop, step one: listeners stop accepting and every HTTP connection closes after its
     * next response. Control thread.
     */
    public void stopAccepting() {
        for (ListenerSlot s : listeners.values()) {
            s.stopAccepting();
        }
    }

    /** Every HTTP context answers with {@code Connection: close} from now on. Control thread. */
    public void endKeepAlive() {
        for (ListenerSlot s : listeners.values()) {
            ListenerContext c = s.context();
            if (c != null) {
                c.setClosing();
            }
        }
    }

    /** Open client connections over all listeners. */
    public int openClientConnections() {
        int n = 0;
        for (ListenerSlot s : listeners.values()) {
            n += s.children().size();
        }
        return n;
    }

    /** Asks every HTTP client connection with nothing in flight to close now. */
    public void closeIdleClientConnections() {
        for (ListenerSlot s : listeners.values()) {
            s.closeIdleChildren();
        }
    }

    /** Stops accepting, closes pooled connections and the loops. Blocks up to a few seconds; later calls do nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (ListenerSlot l : listeners.values()) {
            Channel ch = l.channel();
            if (ch != null) {
                ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            l.children().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        control.execute(health::close);
        control.shutdown();
        try {
            control.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        control.shutdownNow();
        healthEvents.close();
        eventRing.ifPresent(EventRingWriter::close);
        for (BackendConnectionPool p : pools.values()) {
            p.loop().execute(p::close);
        }
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
