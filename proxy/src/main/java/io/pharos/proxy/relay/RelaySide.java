package io.pharos.proxy.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;

import java.util.function.IntConsumer;

/**
 * One side of the buffered {@link Relay}: its channel is read again once its last piece is out on the
 * other side (Netty also delivers what a socket holds when its FIN arrives, without a read asked for;
 * that piece is written behind the one in flight). Created per connection; loop-confined.
 */
final class RelaySide extends RelayHandler {
    /** Set once in handlerAdded, on the loop. */
    private ChannelHandlerContext ctx;

    RelaySide(HalfClose halfClose, Channel channel, IntConsumer bytesRead) {
        super(halfClose, channel, bytesRead);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * Reads again unless the FIN arrived. The transport may have shut the input before that event reached
     * us, and asking such a channel to read fails on epoll ({@code epoll_ctl} ENOENT).
     */
    @Override
    protected void onWritten() {
        if (!(channel instanceof DuplexChannel d && d.isInputShutdown())) {
            readUnlessFin();
        }
    }

    /**
     * Asks this side to read unless its FIN was seen. At the start this asks even a channel whose input
     * the transport shut: a handler in front may still hold bytes and that FIN, to hand on when asked
     * (the PROXY protocol accept handler does).
     */
    void readUnlessFin() {
        assert channel.eventLoop().inEventLoop();
        if (!halfClose.inputShut(channel)) {
            ctx.read();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        // reads are asked for after each write completes
    }
}
