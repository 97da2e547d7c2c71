package io.pharos.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.util.function.IntConsumer;

/**
 * The last handler of one side of a relayed connection, for what every relay does alike whatever else
 * moves its bytes: what reaches the pipeline is written to the other side, the channel's FIN (or a TLS
 * client's close_notify) is passed on ({@link HalfClose}), a close has the other side closed once what
 * was written to it is out, an error or a failed write closes both, and so does the idle timeout unless
 * a subclass knows better. Subclasses say when the channel reads: the buffered {@link Relay} after each
 * write, the TCP splice relay on its own (only bytes a handler in front kept back reach its pipeline).
 * It is the listener of its own writes, so relaying a piece allocates no listener. Created per
 * connection; loop-confined.
 */
public abstract class RelayHandler extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
    protected final HalfClose halfClose;
    /** The channel whose pipeline this handler ends. */
    protected final Channel channel;
    /** The other channel of the connection. */
    protected final Channel peer;
    /** Told the size of every piece read here, as it is passed on (byte counters). */
    private final IntConsumer bytesRead;

    protected RelayHandler(HalfClose halfClose, Channel channel, IntConsumer bytesRead) {
        this.halfClose = halfClose;
        this.channel = channel;
        this.peer = halfClose.peer(channel);
        this.bytesRead = bytesRead;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
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
    public final void operationComplete(ChannelFuture f) {
        if (f.isSuccess()) {
            onWritten();
        } else {
            halfClose.closeBoth();
        }
    }

    /** A piece read here is out on the peer's socket. */
    protected abstract void onWritten();

    @Override
    public final void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            onFin();
        } else if (evt instanceof SslCloseCompletionEvent c && c.isSuccess() && halfClose.terminatesTls(channel)) {
            // the TLS engine answered the close_notify and sends nothing after it: this side is done both ways
            halfClose.markOutputShut(channel);
            onFin();
        } else if (evt instanceof IdleStateEvent) {
            onIdle();
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    private void onFin() {
        if (halfClose.markInputShut(channel) && beforeFinPassedOn()) {
            halfClose.passFinFrom(channel);
        }
    }

    /**
     * Called once the channel's FIN arrived, before it is passed on: a relay that moves bytes outside the
     * pipeline passes on here what the socket still held; false if that failed (and both are closed).
     */
    protected boolean beforeFinPassedOn() {
        return true;
    }

    /** The client connection's idle timeout fired: both close. */
    protected void onIdle() {
        halfClose.closeBoth();
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        halfClose.onClosed(channel);
        ctx.fireChannelInactive();
    }

    @Override
    public final void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        halfClose.closeBoth();
    }
}
