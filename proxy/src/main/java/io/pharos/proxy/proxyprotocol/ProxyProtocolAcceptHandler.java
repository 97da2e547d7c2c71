package io.pharos.proxy.proxyprotocol;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Sits after the {@code HAProxyMessageDecoder}: holds {@code channelActive} back until the PROXY header
 * arrived (so the handlers after it, which pick a backend on activation, see the real client), records
 * the announced address on the channel, and keeps any bytes that came with the header until the next
 * handler asks to read. A connection without a valid header in time is closed. Loop-confined.
 */
final class ProxyProtocolAcceptHandler extends ChannelDuplexHandler {
    private static final Logger LOG = Logger.getLogger(ProxyProtocolAcceptHandler.class.getName());

    private final long timeoutMillis;
    /** Bytes (and events such as the client's FIN) that followed the header, kept in order until the next handler reads. Loop-confined. */
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    /** Loop-confined: whether the header arrived. */
    private boolean headerSeen;
    /** Loop-confined: whether the kept bytes were handed on (this handler is then on its way out). */
    private boolean handedOn;
    /** Loop-confined: whether kept bytes are being handed on right now (a read asked for meanwhile waits). */
    private boolean delivering;
    /** Loop-confined: a read asked for while delivering, done once the kept bytes are out. */
    private boolean readAsked;
    /** Loop-confined: closes the connection if no header arrives in time. */
    private ScheduledFuture<?> timer;

    ProxyProtocolAcceptHandler(long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timer = ctx.executor().schedule(() -> {
            if (!headerSeen) {
                ctx.close();
            }
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HAProxyMessage m) {
            try {
                onHeader(ctx, m);
            } finally {
                m.release();
            }
            return;
        }
        if (!headerSeen) {
            ReferenceCountUtil.release(msg);
            ctx.close();
            return;
        }
        pending.add(msg);
    }

    private void onHeader(ChannelHandlerContext ctx, HAProxyMessage m) {
        headerSeen = true;
        if (timer != null) {
            timer.cancel(false);
        }
        if (m.command() == HAProxyCommand.PROXY && m.proxiedProtocol() != HAProxyProxiedProtocol.UNKNOWN
                && m.sourceAddress() != null) {
            ctx.channel().attr(ProxyProtocol.CLIENT).set(new InetSocketAddress(m.sourceAddress(), m.sourcePort()));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (!headerSeen) {
            ctx.read();
        }
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (!headerSeen) {
            return;
        }
        if (delivering) {
            // reading now would let new bytes overtake the kept ones
            readAsked = true;
            return;
        }
        if (handedOn) {
            readIfOpen(ctx);
            return;
        }
        handedOn = true;
        if (pending.isEmpty()) {
            ctx.pipeline().remove(this);
            readIfOpen(ctx);
            return;
        }
        delivering = true;
        Object m;
        while ((m = pending.poll()) != null) {
            if (m instanceof PendingEvent e) {
                ctx.fireUserEventTriggered(e.event());
            } else {
                ctx.fireChannelRead(m);
            }
        }
        ctx.fireChannelReadComplete();
        delivering = false;
        ctx.pipeline().remove(this);
        if (readAsked) {
            readIfOpen(ctx);
        }
    }

    /** Reads unless the client's FIN was already seen (epoll refuses to read a shut input). */
    private static void readIfOpen(ChannelHandlerContext ctx) {
        if (!(ctx.channel() instanceof DuplexChannel d) || !d.isInputShutdown()) {
            ctx.read();
        }
    }

    /** An event that came after the header, kept behind the bytes before it. */
    private record PendingEvent(Object event) {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (headerSeen && !handedOn) {
            pending.add(new PendingEvent(evt));
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!headerSeen) {
            LOG.fine("bad PROXY protocol header from " + ctx.channel().remoteAddress() + ": " + cause.getMessage());
            ctx.close();
            return;
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
        Object m;
        while ((m = pending.poll()) != null) {
            if (!(m instanceof PendingEvent)) {
                ReferenceCountUtil.release(m);
            }
        }
    }
}
