package io.pharos.proxy.l7;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Slow-loris guard, in front of the request decoder: once the first byte of a request head arrives,
 * the whole head must arrive within the timeout, else {@link #TIMEOUT} is fired as a user event and the
 * frontend answers 408 and closes. The frontend re-arms it for every request; the deadline is a
 * {@link LazyTimer}, so keep-alive requests do not each schedule and cancel a timer. Loop-confined.
 */
final class HeaderReadTimeoutHandler extends ChannelInboundHandlerAdapter {
    /** User event fired when a request head took too long. */
    static final Object TIMEOUT = new Object() {
        @Override
        public String toString() {
            return "HeaderReadTimeout";
        }
    };

    private final long timeoutNanos;
    /** Loop-confined: whether the next bytes belong to a request head. */
    private boolean awaitingHead = true;
    /** Set once in handlerAdded. */
    private LazyTimer timer;
    private ChannelHandlerContext ctx;

    HeaderReadTimeoutHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.timer = new LazyTimer(ctx.executor(), this::expired);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && !timer.isArmed()) {
            timer.arm(timeoutNanos);
        }
        ctx.fireChannelRead(msg);
    }

    /** The head of the current request was decoded. */
    void headReceived() {
        awaitingHead = false;
        timer.disarm();
    }

    /** The next bytes start a new request head. */
    void expectHead() {
        awaitingHead = true;
    }

    private void expired() {
        if (awaitingHead && ctx.channel().isActive()) {
            ctx.fireUserEventTriggered(TIMEOUT);
        }
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
