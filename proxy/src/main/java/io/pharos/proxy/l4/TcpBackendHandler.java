package io.pharos.proxy.l4;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;

/** The backend side of one proxied TCP connection: hands everything to its {@link TcpFrontendHandler}. Loop-confined. */
final class TcpBackendHandler extends ChannelInboundHandlerAdapter {
    private final TcpFrontendHandler frontend;

    TcpBackendHandler(TcpFrontendHandler frontend) {
        this.frontend = frontend;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        frontend.onBackendRead(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            frontend.onBackendInputShutdown();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        frontend.onBackendClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
