package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.cluster.Backend;

import java.util.function.BiConsumer;

/**
 * The backend side of one pooled HTTP/1.1 connection, or of one HTTP/2 stream (behind its frame codec). While leased it hands everything to its owner,
 * the {@link UpstreamTry} of the client exchange it serves (same event loop); while idle in
 * the pool, anything it receives is a protocol error and closes it.
 */
final class HttpBackendHandler extends ChannelInboundHandlerAdapter {
    /** Told when an idle connection closes (so its pool forgets it); null for an HTTP/2 stream, which is never pooled. */
    private final BiConsumer<Backend, Channel> onIdleClosed;
    /** The client exchange using this connection, or null while pooled; written on the loop. */
    private UpstreamTry owner;
    /** The backend this connection goes to; set on the loop when first leased. */
    private Backend backend;

    HttpBackendHandler(BiConsumer<Backend, Channel> onIdleClosed) {
        this.onIdleClosed = onIdleClosed;
    }

    void lease(UpstreamTry owner, Backend backend) {
        this.owner = owner;
        this.backend = backend;
    }

    void unlease() {
        this.owner = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamTry o = owner;
        if (o != null) {
            o.onBackendMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamTry o = owner;
        if (o != null) {
            o.onBackendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamTry o = owner;
        if (o != null && ctx.channel().isWritable()) {
            o.onBackendWritable();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        UpstreamTry o = owner;
        if (o != null) {
            owner = null;
            o.onBackendClosed(null);
        } else if (backend != null && onIdleClosed != null) {
            onIdleClosed.accept(backend, ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        UpstreamTry o = owner;
        if (o != null) {
            owner = null;
            o.onBackendClosed(cause);
        }
        ctx.close();
    }
}
