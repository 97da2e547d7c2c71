package io.pharos.proxy.l4;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.timeout.IdleStateHandler;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.util.concurrent.TimeUnit;

/**
 * Pipeline of an accepted TCP client connection (protocol = tcp): an optional PROXY protocol header
 * first, then TLS termination (certificate by SNI, no ALPN) when the listener has a {@code tls} block,
 * then the idle timeout and the relay. Shared by all of a listener's connections; stateless.
 */
public final class TcpProxyInitializer extends ChannelInitializer<Channel> {
    public static final String IDLE = "idle";
    public static final String FRONTEND = "frontend";
    public static final String SNI = "sni";
    private static final long PROXY_HEADER_TIMEOUT_MILLIS = 10_000;

    private final Cluster cluster;
    private final ProxyHealth health;
    private final Transport transport;
    private final boolean acceptProxyProtocol;
    private final boolean spliceAllowed;
    private final UpstreamTls upstreamTls;
    /** Null for a plaintext listener. */
    private final ListenerTls tls;

    /**
     * {@code splice}: the listener's {@code splice} key (default true); the zero-copy relay is used when
     * it is set, the transport is epoll, the listener has no TLS, and the cluster has no upstream TLS
     * (decided per connection). {@code tls}: the listener's certificates, or {@code null} for plaintext.
     */
    public TcpProxyInitializer(Cluster cluster, Transport transport, ProxyHealth health, boolean acceptProxyProtocol,
                               boolean splice, UpstreamTls upstreamTls, ListenerTls tls) {
        this.cluster = cluster;
        this.health = health;
        this.transport = transport;
        this.upstreamTls = upstreamTls;
        this.tls = tls;
        this.acceptProxyProtocol = acceptProxyProtocol;
        this.spliceAllowed = splice && transport.isEpoll() && tls == null;
    }

    @Override
    protected void initChannel(Channel ch) {
        ch.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
        long idle = cluster.snapshot().config().timeouts().idle().toMillis();
        if (tls != null) {
            ch.pipeline().addLast(SNI, tls.newSniHandler());
        }
        ch.pipeline()
                .addLast(IDLE, new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS))
                .addLast(FRONTEND, new TcpFrontendHandler(cluster, transport, health, spliceAllowed, tls, upstreamTls));
        if (acceptProxyProtocol) {
            // added first: the header precedes the TLS handshake
            ProxyProtocol.addAcceptHandlers(ch.pipeline(), PROXY_HEADER_TIMEOUT_MILLIS);
        }
    }
}
