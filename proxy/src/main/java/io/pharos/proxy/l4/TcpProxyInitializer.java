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

/** Pipeline of an accepted TCP client connection (protocol = tcp). Shared by all of a listener's connections; stateless. */
public final class TcpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String FRONTEND = "frontend";
    private static final long PROXY_HEADER_TIMEOUT_MILLIS = 10_000;

    private final Cluster cluster;
    private final ProxyHealth health;
    private final Transport transport;
    private final boolean acceptProxyProtocol;
    private final boolean spliceAllowed;
    private final UpstreamTls upstreamTls;

    /**
     * {@code splice}: the listener's {@code splice} key (default true); the zero-copy relay is used when
     * it is set, the transport is epoll, and both sides are plaintext (decided per connection).
     */
    public TcpProxyInitializer(Cluster cluster, Transport transport, ProxyHealth health, boolean acceptProxyProtocol,
                               boolean splice, UpstreamTls upstreamTls) {
        this.cluster = cluster;
        this.health = health;
        this.transport = transport;
        this.upstreamTls = upstreamTls;
        this.acceptProxyProtocol = acceptProxyProtocol;
        this.spliceAllowed = splice && transport.isEpoll();
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
