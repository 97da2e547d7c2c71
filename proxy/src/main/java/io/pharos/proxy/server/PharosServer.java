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
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.EventsConfig;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.l4.TcpProxyInitializer;
import io.pharos.proxy.l7.BackendConnectionPool;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.l7.ListenerContext;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The running proxy: event loops, per-loop backend pools, clusters and bound listeners. Started and
 * stopped by the control thread; the data plane runs on the loops.
 */
public final class PharosServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PharosServer.class.getName());

    /** A bound listener and what its connections share. */
    public record BoundListener(ListenerConfig config, Channel channel, ListenerContext context) {
        public InetSocketAddress localAddress() {
            return (InetSocketAddress) channel.localAddress();
        }
    }

    private final PharosConfig config;
    private final Transport transport;
    private final EventLoopGroup group;
    private final EventLoopGroup acceptGroup;
    private final Map<EventLoop, BackendConnectionPool> pools;
    private final Map<String, Cluster> clusters = new LinkedHashMap<>();
    private final Map<String, BoundListener> listeners = new LinkedHashMap<>();
    /** The health module's control thread: applies check verdicts, decides ejections. */
    private final ScheduledExecutorService healthControl;
    private final HealthEventPublisher healthEvents;
    private final ProxyHealth health;

    private PharosServer(PharosConfig config, Transport transport) {
        this.config = config;
        this.transport = transport;
        this.group = transport.newGroup(config.effectiveWorkers(), "pharos-loop");
        this.acceptGroup = transport.newGroup(1, "pharos-accept");
        Map<EventLoop, BackendConnectionPool> p = new IdentityHashMap<>();
        for (EventExecutor e : group) {
            EventLoop loop = (EventLoop) e;
            BackendConnectionPool pool = new BackendConnectionPool(loop, transport);
            pool.start();
            p.put(loop, pool);
        }
        this.pools = Collections.unmodifiableMap(p);
        for (ClusterConfig c : config.clusters().values()) {
            clusters.put(c.name(), new Cluster(c, System::nanoTime));
        }
        this.healthEvents = HealthEventPublisher.start(HealthEventPublisher.DEFAULT_CAPACITY, "pharos-health-events");
        this.healthControl = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pharos-health-control");
            t.setDaemon(true);
            return t;
        });
        this.health = ProxyHealth.create(config.events().map(EventsConfig::region).orElse(""), group,
                new ReflectiveChannelFactory<>(transport.socketChannel()), healthControl, healthEvents);
        try {
            healthControl.submit(() -> clusters.values().forEach(health::attach)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting health checks", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot start health checks: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Builds the loops and clusters and binds every listener; if one cannot be bound, everything
     * started so far is stopped and the exception is thrown. Blocks until bound: control thread.
     */
    public static PharosServer start(PharosConfig config) throws InterruptedException {
        PharosServer server = new PharosServer(config, Transport.best());
        try {
            for (ListenerConfig l : config.listeners()) {
                server.bind(l);
            }
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        LOG.info("pharos started: transport " + server.transport.name() + ", " + config.effectiveWorkers()
                + " event loops, listeners " + server.describeListeners());
        return server;
    }

    private void bind(ListenerConfig l) throws InterruptedException {
        Cluster cluster = clusters.get(l.cluster());
        ListenerContext context = new ListenerContext(l.name(), cluster, config.http(), l.tls().isPresent(), health);
        ChannelHandler init = switch (l.protocol()) {
            case HTTP -> new HttpProxyInitializer(context, pools::get);
            case TCP -> new TcpProxyInitializer(cluster, transport, health);
        };
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptGroup, group)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(init);
        Channel ch;
        try {
            ch = b.bind(l.listen().resolve()).sync().channel();
        } catch (Exception e) {
            if (e instanceof InterruptedException ie) {
                throw ie;
            }
            throw new IllegalStateException("listener " + l.name() + ": cannot bind " + l.listen() + ": " + e.getMessage(), e);
        }
        listeners.put(l.name(), new BoundListener(l, ch, context));
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
        return Collections.unmodifiableMap(clusters);
    }

    public BoundListener listener(String name) {
        return listeners.get(name);
    }

    public List<BoundListener> listeners() {
        return new ArrayList<>(listeners.values());
    }

    public EventLoopGroup eventLoops() {
        return group;
    }

    /** Active checks, outlier detection and retry budgets of the clusters. */
    public ProxyHealth health() {
        return health;
    }

    /** Where health events go: add listeners (the event IPC writer, tests) here. */
    public HealthEventPublisher healthEvents() {
        return healthEvents;
    }

    /** Idle pooled backend connections over all loops; asks each loop (blocks briefly). */
    public int idleBackendConnections() throws Exception {
        int n = 0;
        for (BackendConnectionPool p : pools.values()) {
            n += p.loop().submit(p::idleCount).get(5, TimeUnit.SECONDS);
        }
        return n;
    }

    private String describeListeners() {
        List<String> out = new ArrayList<>();
        for (BoundListener l : listeners.values()) {
            out.add(l.config().name() + "=" + l.config().protocol().name().toLowerCase() + "://" + l.localAddress().getHostString() + ":" + l.localAddress().getPort()
                    + "->" + l.config().cluster());
        }
        return String.join(", ", out);
    }

    /** Stops accepting, closes pooled connections and the loops. Blocks up to a few seconds. */
    @Override
    public void close() {
        for (BoundListener l : listeners.values()) {
            l.channel().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        healthControl.execute(health::close);
        healthControl.shutdown();
        try {
            healthControl.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        healthEvents.close();
        for (BackendConnectionPool p : pools.values()) {
            p.loop().execute(p::close);
        }
        acceptGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
