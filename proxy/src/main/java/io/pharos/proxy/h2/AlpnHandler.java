package io.pharos.proxy.h2;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.pharos.proxy.l7.HttpProxyInitializer;

/**
 * After the TLS handshake of an HTTP listener connection: HTTP/2 if ALPN chose {@code h2}, HTTP/1.1
 * otherwise (also when the client offered no ALPN). Loop-confined, one per connection.
 */
final class AlpnHandler extends ApplicationProtocolNegotiationHandler {
    private final HttpProxyInitializer h1;

    AlpnHandler(HttpProxyInitializer h1) {
        super(ApplicationProtocolNames.HTTP_1_1);
        this.h1 = h1;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // the handshake needs bytes; the connection does not read on its own
        ctx.read();
        ctx.fireChannelActive();
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
