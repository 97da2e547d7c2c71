package io.pharos.proxy.l7;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Idle guard of an HTTP/1.1 client connection: fires {@link IdleStateEvent#FIRST_ALL_IDLE_STATE_EVENT}
 * (then {@link IdleStateEvent#ALL_IDLE_STATE_EVENT} each further period) when nothing was read or written
 * for the idle timeout, like Netty's {@code IdleStateHandler(0, 0, idle)}, whose events the frontend and
 * the upgrade relay act on. Unlike it, a write passes its promise on untouched: {@code IdleStateHandler}
 * turns every void promise into a real one to learn when the write completed, one promise and listener
 * per write. Here a write counts as activity when it is issued; with the relays' backpressure the last
 * write issued and the last write completed are at most one write apart. The deadline is a
 * {@link LazyTimer}, so activity never schedules a timer. Loop-confined.
 */
final class IdleTimeoutHandler extends ChannelDuplexHandler {
    private final long idleNanos;
    /** Set once in handlerAdded. */
    private LazyTimer timer;
    private ChannelHandlerContext ctx;
    /** Loop-confined: whether the next event is the first of this idle spell. */
    private boolean first = true;

    IdleTimeoutHandler(long idleNanos) {
        if (idleNanos <= 0) {
            throw new IllegalArgumentException("idleNanos: " + idleNanos + " (expected: > 0)");
        }
        this.idleNanos = idleNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timer = new LazyTimer(ctx.executor(), this::expired);
        if (ctx.channel().isActive()) {
            timer.arm(idleNanos);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        activity();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        activity();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        activity();
        ctx.write(msg, promise);
    }

    private void activity() {
        first = true;
        timer.arm(idleNanos);
    }

    private void expired() {
        if (!ctx.channel().isActive()) {
            return;
        }
        IdleStateEvent event = first ? IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT : IdleStateEvent.ALL_IDLE_STATE_EVENT;
        first = false;
        timer.arm(idleNanos);
        ctx.fireUserEventTriggered(event);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        timer.stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        timer.stop();
    }
}
