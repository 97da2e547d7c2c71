package io.pharos.proxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPromise;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.tls.ListenerTls;

import java.util.concurrent.TimeUnit;

/**
 * One bound listener whose behaviour a reload can swap without closing its socket: accepted
 * connections get the pipeline of the current {@link #initializer}, are counted, and are kept in
 * {@link #children} so a removal or shutdown can reach them. Fields are written by the control
 * thread; the accept path reads the volatile ones.
 */
final class ListenerSlot {
    static final String BYTES = "bytes";
    static final String PROXY = "proxy";

    /** The config it runs with; written by the control thread on swap. */
    private volatile ListenerConfig config;
    /** Pipeline builder of new connections; written by the control thread on swap. */
    private volatile ChannelHandler initializer;
    /** HTTP listeners' shared context, null for TCP; written by the control thread on swap. */
    private volatile ListenerContext context;
    /** The listener's certificates, null for cleartext; written by the control thread on swap. */
    private volatile ListenerTls tls;
    /** The server socket; set once by the control thread after bind. */
    private volatile Channel channel;
    /** Counters of the listener's name; written by the control thread on a swap that renames the listener. */
    private volatile ListenerMetrics metrics;
    private final ChannelGroup children;
    private final ChannelHandler acceptor;
    private final ChannelHandler byteCounter;

    ListenerSlot(ListenerConfig config, ListenerMetrics metrics, ChannelHandler initializer, ListenerContext context, ListenerTls tls) {
        this.tls = tls;
        this.config = config;
        this.metrics = metrics;
        this.initializer = initializer;
        this.context = context;
        this.children = new DefaultChannelGroup(config.name(), GlobalEventExecutor.INSTANCE);
        this.byteCounter = new ByteCounter();
        this.acceptor = new Acceptor();
    }

    ChannelHandler acceptor() {
        return acceptor;
    }

    void bound(Channel ch) {
        this.channel = ch;
    }

    ListenerConfig config() {
        return config;
    }

    ListenerContext context() {
        return context;
    }

    ListenerTls tls() {
        return tls;
    }

    Channel channel() {
        return channel;
    }

    ListenerMetrics metrics() {
        return metrics;
    }

    ChannelGroup children() {
        return children;
    }

    /**
     * New connections get {@code newInitializer}; open HTTP connections of the old context are told to
     * close after their next response. Control thread.
     */
    void swap(ListenerConfig newConfig, ChannelHandler newInitializer, ListenerContext newContext, ListenerTls newTls,
              ListenerMetrics newMetrics) {
        ListenerContext old = context;
        this.metrics = newMetrics;
        this.config = newConfig;
        this.tls = newTls;
        this.context = newContext;
        this.initializer = newInitializer;
        if (old != null) {
            old.setClosing();
        }
    }

    /**
     * Stops accepting (returns once the socket is closed, up to 2 s) and lets HTTP connections close
     * after their next response. Control thread.
     */
    void stopAccepting() {
        Channel ch = channel;
        if (ch != null) {
            ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
        ListenerContext c = context;
        if (c != null) {
            c.setClosing();
        }
    }

    /** Asks every HTTP connection with nothing in flight to close now (TCP listeners: nothing happens). */
    void closeIdleChildren() {
        fireAtHttpChildren(ListenerContext.CLOSE_IF_IDLE);
    }

    /** Tells every HTTP connection that the listener drains ({@link ListenerContext#DRAIN}). */
    void drainChildren() {
        fireAtHttpChildren(ListenerContext.DRAIN);
    }

    private void fireAtHttpChildren(Object event) {
        if (context != null) {
            for (Channel ch : children) {
                ch.pipeline().fireUserEventTriggered(event);
            }
        }
    }

    /**
     * Closes every connection now, past its handlers (an HTTP/2 connection would otherwise wait for its
     * streams again): the drain deadline. Any thread.
     */
    void closeChildrenNow() {
        for (Channel ch : children) {
            ChannelHandlerContext first = ch.pipeline().firstContext();
            if (first != null) {
                first.close();
            } else {
                ch.close();
            }
        }
    }

    @ChannelHandler.Sharable
    private final class Acceptor extends ChannelInitializer<Channel> {
        @Override
        protected void initChannel(Channel ch) {
            children.add(ch);
            metrics.onConnection();
            ch.pipeline().addLast(BYTES, byteCounter).addLast(PROXY, initializer);
        }
    }

    /** Counts the client connection's raw bytes both ways, into the listener's current counters. */
    @ChannelHandler.Sharable
    private final class ByteCounter extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            metrics.addBytesIn(size(msg));
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            metrics.addBytesOut(size(msg));
            ctx.write(msg, promise);
        }

        private static long size(Object msg) {
            if (msg instanceof ByteBuf b) {
                return b.readableBytes();
            }
            if (msg instanceof ByteBufHolder h) {
                return h.content().readableBytes();
            }
            return 0;
        }
    }
}
