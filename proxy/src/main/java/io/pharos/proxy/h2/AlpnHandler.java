package io.pharos.proxy.h2;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.tls.ListenerTls;

/**
 * After the TLS handshake of an HTTP listener connection: HTTP/2 if ALPN chose {@code h2}, HTTP/1.1
 * otherwise (also when the client offered no ALPN). A failed handshake, or any error before it completed,
 * closes the connection and goes to the listener's rate-limited log ({@link ListenerTls#handshakeFailed})
 * instead of a stack trace per connection. Loop-confined, one per connection.
 */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {
    private final HttpProxyInitializer h1;
    private final ListenerTls tls;

    AlpnHandler(HttpProxyInitializer h1, ListenerTls tls) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.h1 = h1;
        this.tls = tls;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // the handshake needs bytes; the connection does not read on its own
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
        tls.handshakeFailed(ctx.channel(), cause);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // this handler leaves the pipeline when the handshake succeeds: anything here came before (a reset, a non-TLS client)
        handshakeFailure(ctx, cause);
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            Http2Connections.configure(ctx.channel(), h1);
        } else {
            h1.initHttp1(ctx.channel());
            ctx.channel().read();
        }
    }
}
