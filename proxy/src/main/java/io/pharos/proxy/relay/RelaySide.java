package io.pharos.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.util.function.IntConsumer;

/**
 * One side of a {@link Relay}: what its channel reads is written to the other channel, and its channel is
 * read again once that write completed (Netty also delivers what a socket holds when its FIN arrives,
 * without a read asked for; that piece is written behind the one in flight). It is the listener of its
 * own writes, so relaying a piece allocates no listener. Created per connection; loop-confined.
 */
final class RelaySide extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    private final HalfClose halfClose;
    private final Channel channel;
    private final Channel peer;
    private final IntConsumer bytesRead;
    /** Set once in handlerAdded, on the loop. */
    private ChannelHandlerContext ctx;

    RelaySide(HalfClose halfClose, Channel channel, IntConsumer bytesRead) {
        this.halfClose = halfClose;
        this.channel = channel;
        this.peer = halfClose.peer(channel);
        this.bytesRead = bytesRead;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf buf)) {
            // e.g. the end-of-message marker an HTTP decoder emits when it leaves the pipeline
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!peer.isActive()) {
            buf.release();
            return;
        }
        bytesRead.accept(buf.readableBytes());
        peer.writeAndFlush(buf).addListener(this);
    }

    /** A write to the peer completed. */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (f.isSuccess()) {
            readMore();
        } else {
            halfClose.closeBoth();
        }
    }

    /**
     * Asks this side to read unless its FIN arrived; the transport may have shut its input before that event
     * reached us, and asking such a channel to read fails on epoll ({@code epoll_ctl} ENOENT).
     */
    void readMore() {
        assert channel.eventLoop().inEventLoop();
        if (!halfClose.inputShut(channel) && !(channel instanceof DuplexChannel d && d.isInputShutdown())) {
            ctx.read();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // reads are asked for after each write completes
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            onFin();
        } else if (evt instanceof SslCloseCompletionEvent c && c.isSuccess() && halfClose.terminatesTls(channel)) {
            // the TLS engine answered the close_notify and sends nothing after it: this side is done both ways
            halfClose.markOutputShut(channel);
            onFin();
        } else if (evt instanceof IdleStateEvent) {
            halfClose.closeBoth();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void onFin() {
        if (halfClose.markInputShut(channel)) {
            halfClose.passFinFrom(channel);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        halfClose.onClosed(channel);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        halfClose.closeBoth();
    }
}
