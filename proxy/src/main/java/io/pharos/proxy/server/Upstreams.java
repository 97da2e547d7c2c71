package io.pharos.proxy.server;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.util.concurrent.EventExecutor;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.EventsConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.l7.BackendConnectionPool;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.EjectionCounter;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The upstream side of the proxy: the backend connection pool of each event loop, the client TLS of
 * clusters with upstream-tls, the clusters and their health checks. Built and changed by the control
 * thread; the clusters map is immutable and published with one volatile write, so any thread reads it.
 */
final class Upstreams {
    private final Map<EventLoop, BackendConnectionPool> pools;
    /** Client TLS contexts of clusters with upstream-tls; a reload prepares those of new clusters. */
    private final UpstreamTls upstreamTls;
    private final ControlThread control;
    /** Active checks, outlier detection and retry budgets of the clusters; changed on the control thread. */
    private final ProxyHealth health;
    /** Immutable, in config order; replaced by the control thread. */
    private volatile Map<String, Cluster> clusters;

    /** Builds the pools, the clusters (resolving their addresses) and starts their health checks. Blocks: main or control thread. */
    Upstreams(PharosConfig config, Transport transport, EventLoopGroup loops, UpstreamTls upstreamTls, ControlThread control,
              HealthEventPublisher healthEvents) {
        this.upstreamTls = upstreamTls;
        this.control = control;
        Map<EventLoop, BackendConnectionPool> p = new IdentityHashMap<>();
        for (EventExecutor e : loops) {
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
        this.health = ProxyHealth.create(config.events().map(EventsConfig::region).orElse(""), loops,
                new ReflectiveChannelFactory<>(transport.socketChannel()), control.executor(), healthEvents);
        control.runAndWait(() -> clusters.values().forEach(health::attach), "starting health checks");
    }

    /** A new cluster over the lb algorithms, watched for metrics. Resolves addresses: control thread. */
    static Cluster newCluster(ClusterConfig config) {
        Cluster c = new Cluster(config, System::nanoTime, ConfiguredLoadBalancerFactory::of);
        c.addListener(EjectionCounter.INSTANCE);
        return c;
    }

    /** The current clusters by name, in config order; any thread. */
    Map<String, Cluster> clusters() {
        return clusters;
    }

    /** Control thread, at the commit of a reload. */
    void publish(Map<String, Cluster> newClusters) {
        this.clusters = Collections.unmodifiableMap(newClusters);
    }

    /** Starts health checks of clusters a reload added and stops those of clusters it removed. Control thread. */
    void updateHealth(List<Cluster> added, List<Cluster> removed) {
        control.runAndWait(() -> {
            removed.forEach(health::detach);
            added.forEach(health::attach);
        }, "changing health checks");
    }

    /** The backend connection pool of {@code loop}. */
    BackendConnectionPool pool(EventLoop loop) {
        return pools.get(loop);
    }

    UpstreamTls upstreamTls() {
        return upstreamTls;
    }

    ProxyHealth health() {
        return health;
    }

    /** Idle pooled backend connections over all loops; asks each loop (blocks briefly). */
    int idleBackendConnections() throws Exception {
        int n = 0;
        for (BackendConnectionPool p : pools.values()) {
            n += p.loop().submit(p::idleCount).get(5, TimeUnit.SECONDS);
        }
        return n;
    }

    /** Closes every pool on its loop (pooled connections close; the loops finish it). */
    void closePools() {
        for (BackendConnectionPool p : pools.values()) {
            p.loop().execute(p::close);
        }
    }
}
