package io.pharos.proxy.l7;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * Slow-loris guard, in front of the request decoder: once the first byte of a request head arrives,
 * the whole head must arrive within the timeout, else {@link #TIMEOUT} is fired as a user event and the
 * frontend answers 408 and closes. The frontend re-arms it for every request. Loop-confined.
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
    /** Loop-confined: the running timer, if any. */
    private ScheduledFuture<?> timer;
    private ChannelHandlerContext ctx;

    HeaderReadTimeoutHandler(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaitingHead && timer == null) {
            timer = ctx.executor().schedule(this::expired, timeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelRead(msg);
    }

    /** The head of the current request was decoded. */
    void headReceived() {
        awaitingHead = false;
        cancel();
    }

    /** The next bytes start a new request head. */
    void expectHead() {
        awaitingHead = true;
    }

    private void expired() {
        timer = null;
        if (awaitingHead && ctx.channel().isActive()) {
            ctx.fireUserEventTriggered(TIMEOUT);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
