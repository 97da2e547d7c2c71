package io.pharos.proxy.l4;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.server.Transport;

import java.util.concurrent.TimeUnit;

/** Pipeline of an accepted TCP client connection (protocol = tcp). Shared by all of a listener's connections. */
public final class TcpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String FRONTEND = "frontend";

    private final Cluster cluster;
    private final ProxyHealth health;
    private final Transport transport;

    public TcpProxyInitializer(Cluster cluster, Transport transport, ProxyHealth health) {
        this.cluster = cluster;
        this.health = health;
        this.transport = transport;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        long idle = cluster.snapshot().config().timeouts().idle().toMillis();
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                .addLast(FRONTEND, new TcpFrontendHandler(cluster, transport, health));
    }
}
