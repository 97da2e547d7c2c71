package io.pharos.proxy.cluster;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * Counts the bytes on the wire of every connection to one backend into its {@link BackendStats}
 * ({@code bytesSent}, {@code bytesReceived}): first in the backend channel's pipeline, before TLS and
 * the HTTP codecs, so headers, framing, TLS records and upgraded (WebSocket) traffic count, as HAProxy's
 * {@code bin}/{@code bout} and Envoy's {@code upstream_cx_*_bytes_total} do. One instance per backend,
 * shared by its connections; allocation-free, lock-free; runs on each connection's event loop.
 */
@ChannelHandler.Sharable
public final class BackendByteCounter extends ChannelDuplexHandler {
    /** Its name in a backend pipeline. */
    public static final String NAME = "wire-bytes";

    private final BackendStats stats;

    BackendByteCounter(BackendStats stats) {
        this.stats = stats;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof ByteBuf b) {
            stats.addBytesReceived(b.readableBytes());
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof ByteBuf b) {
            stats.addBytesSent(b.readableBytes());
        }
        ctx.write(msg, promise);
    }
}
