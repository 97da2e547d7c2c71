package io.pharos.proxy.l7;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ShutdownConfig;
import io.pharos.proxy.h2.HttpListenerInitializer;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One cleartext HTTP listener on loopback (HTTP/1.1 and HTTP/2 with prior knowledge, as the server wires
 * it) over cluster {@code app}, whose exchanges the test's {@link ExchangeObserver} may hook; it has its
 * own event loops and backend pools, so no server is needed to hand it the observer. {@link #close()} stops all.
 */
final class HookedProxy implements AutoCloseable {
    private final EventLoopGroup loops;
    private final Map<EventLoop, BackendConnectionPool> pools = new IdentityHashMap<>();
    private final Channel server;
    final Cluster cluster;

    /**
     * @param pharosExtra HOCON inside {@code pharos { }} (e.g. {@code http { idle-timeout = 1s }})
     * @param clusterHocon HOCON inside the cluster block, with its backends
     */
    HookedProxy(String pharosExtra, String clusterHocon, ExchangeObserver observer) throws Exception {
        PharosConfig config = ConfigLoader.parse("pharos {\n" + pharosExtra + "\n listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app {\n" + clusterHocon + "\n } }\n}\n");
        Transport transport = Transport.best();
        loops = transport.newGroup(2, "hooked-proxy");
        for (EventExecutor e : loops) {
            BackendConnectionPool pool = new BackendConnectionPool((EventLoop) e, transport);
            pool.start();
            pools.put((EventLoop) e, pool);
        }
        cluster = new Cluster(config.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        ListenerContext listener = new ListenerContext("web", cluster, config.http(), false, ProxyHealth.none(),
                new ListenerMetrics("web", loops, System::nanoTime, AccessLog.disabled()),
                ShutdownConfig.DEFAULT_DRAIN_TIMEOUT, observer);
        server = new ServerBootstrap()
                .group(loops)
                .channel(transport.serverChannel())
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new HttpListenerInitializer(new HttpProxyInitializer(listener, pools::get), null, false))
                .bind("127.0.0.1", 0).sync().channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (BackendConnectionPool p : pools.values()) {
            p.loop().execute(p::close);
        }
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
