package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ShutdownConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.transport.Transport;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * An HTTP listener's client-side pipeline on an {@link EmbeddedChannel} (virtual clock, no sockets),
 * proxying to cluster {@code app}; with {@link #backend} a test gives it backend connections it drives
 * by hand. {@link #close()} releases everything, for the paranoid leak detector.
 */
final class EmbeddedProxy implements AutoCloseable {
    final EmbeddedChannel ch;
    final Cluster cluster;
    final ListenerContext listener;
    final ListenerMetrics metrics;
    final BackendConnectionPool pool;
    private final EmbeddedBackends backends = new EmbeddedBackends();

    /**
     * @param pharosExtra HOCON inside {@code pharos { }}
     * @param clusterExtra HOCON inside the cluster block
     * @param backendNames the cluster's backends (at unused loopback ports)
     */
    EmbeddedProxy(String pharosExtra, String clusterExtra, ExchangeObserver observer, String... backendNames) throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < backendNames.length; i++) {
            b.append(i == 0 ? "" : ", ").append("{ name = ").append(backendNames[i]).append(", address = \"127.0.0.1:").append(i + 1).append("\" }");
        }
        PharosConfig config = ConfigLoader.parse("pharos { " + pharosExtra + "\n listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ " + b + " ]\n " + clusterExtra + " } } }");
        cluster = new Cluster(config.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        metrics = new ListenerMetrics("web", List.of(), System::nanoTime, AccessLog.disabled());
        listener = new ListenerContext("web", cluster, config.http(), false, ProxyHealth.none(), metrics,
                ShutdownConfig.DEFAULT_DRAIN_TIMEOUT, observer);
        ch = new EmbeddedChannel();
        ch.config().setAutoRead(false);
        pool = new BackendConnectionPool(ch.eventLoop(), Transport.nio());
        ch.pipeline().addLast(new HttpProxyInitializer(listener, loop -> pool));
        ch.runPendingTasks();
    }

    /** An idle kept-alive connection to backend {@code name}, which the next exchange to that backend leases. */
    EmbeddedChannel backend(String name) {
        if (backends.isEmpty()) {
            pool.start();
            ch.runPendingTasks();
        }
        return backends.add(ch, pool, cluster, name);
    }

    /** The client sends {@code text}. */
    void send(String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    /** What the client received so far, as text. */
    String written() {
        return EmbeddedBackends.written(ch);
    }

    @Override
    public void close() {
        ch.finishAndReleaseAll();
        backends.releaseAll();
    }
}
