package io.pharos.proxy.h2;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;
import io.pharos.proxy.tls.ListenerTls;

/**
 * Pipeline of an accepted connection on a {@code protocol = http} listener: an optional PROXY protocol
 * header first, then either TLS (certificate by SNI) and ALPN choosing HTTP/2 or HTTP/1.1, or, in
 * cleartext, HTTP/2 with prior knowledge or HTTP/1.1 by the first bytes. Shared by a listener's
 * connections; runs on each connection's event loop.
 */
public final class HttpListenerInitializer extends ChannelInitializer<Channel> {
    public static final String SNI = "sni";
    public static final String ALPN = "alpn";
    public static final String DETECT = "h2c-detect";

    private final HttpProxyInitializer h1;
    /** Null for a cleartext listener. */
    private final ListenerTls tls;
    private final boolean acceptProxyProtocol;

    /** @param tls the listener's certificates, or {@code null} for cleartext */
    public HttpListenerInitializer(HttpProxyInitializer h1, ListenerTls tls, boolean acceptProxyProtocol) {
        this.h1 = h1;
        this.tls = tls;
        this.acceptProxyProtocol = acceptProxyProtocol;
    }

    @Override
    protected void initChannel(Channel ch) {
        if (tls != null) {
            ch.pipeline().addLast(SNI, tls.newSniHandler()).addLast(ALPN, new AlpnHandler(h1, tls));
        } else {
            ch.pipeline().addLast(DETECT, new PriorKnowledgeDetector(h1));
        }
        if (acceptProxyProtocol) {
            ProxyProtocol.addAcceptHandlers(ch.pipeline(), h1.listener().http().headerReadTimeout().toMillis());
        }
    }
}
