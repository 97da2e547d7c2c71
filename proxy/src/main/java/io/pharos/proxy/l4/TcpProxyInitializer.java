package io.pharos.proxy.l4;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;
import io.pharos.proxy.server.Transport;
import io.pharos.proxy.tls.UpstreamTls;

import java.util.concurrent.TimeUnit;

/** Pipeline of an accepted TCP client connection (protocol = tcp). Shared by all of a listener's connections. */
public final class TcpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String FRONTEND = "frontend";
    private static final long PROXY_HEADER_TIMEOUT_MILLIS = 10_000;

    /**
     * System property that turns the zero-copy relay on ({@code -Dpharos.tcp.splice=true}); read once per
     * listener. Off by default: with half-closed connections Netty's splice path can still end a relay
     * early in a race (seen about once in fifteen runs of {@code TcpProxyIT}), which the buffered relay never does.
     */
    public static final String SPLICE_PROPERTY = "pharos.tcp.splice";

    private final Cluster cluster;
    private final ProxyHealth health;
    private final Transport transport;
    private final boolean acceptProxyProtocol;
    private final boolean spliceAllowed;
    private final UpstreamTls upstreamTls;

    public TcpProxyInitializer(Cluster cluster, Transport transport, ProxyHealth health, boolean acceptProxyProtocol,
                               UpstreamTls upstreamTls) {
        this.cluster = cluster;
        this.health = health;
        this.transport = transport;
        this.upstreamTls = upstreamTls;
        this.acceptProxyProtocol = acceptProxyProtocol;
        this.spliceAllowed = transport.isEpoll() && Boolean.parseBoolean(System.getProperty(SPLICE_PROPERTY, "false"));
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        long idle = cluster.snapshot().config().timeouts().idle().toMillis();
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                .addLast(FRONTEND, new TcpFrontendHandler(cluster, transport, health, spliceAllowed, upstreamTls));
        if (acceptProxyProtocol) {
            ProxyProtocol.addAcceptHandlers(ch.pipeline(), PROXY_HEADER_TIMEOUT_MILLIS);
        }
    }
}
