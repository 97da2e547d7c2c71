package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.cluster.Backend;

/**
 * An upgraded connection (the backend answered {@code 101 Switching Protocols} to a request with
 * {@code Upgrade}, e.g. a WebSocket): the HTTP handlers leave both pipelines and bytes are relayed as
 * they are, with backpressure (a side is read again once its last write to the other completed). The
 * client connection's idle timeout still applies and closes both. Loop-confined: both channels are on
 * the client's event loop.
 */
final class UpgradeRelay {
    static final String RELAY = "upgrade-relay";

    private UpgradeRelay() {
    }

    /**
     * Switches {@code client} and {@code backend} to relaying. Called on the loop by the frontend after the
     * 101 went out, possibly while the backend's HTTP decoder is still decoding: bytes it holds after the
     * 101 are handed on to the relay when it is removed. {@code backend} counts as busy until the relay ends.
     */
    static void start(Channel client, Channel backend, Backend target) {
        ChannelPipeline cp = client.pipeline();
        cp.replace(HttpProxyInitializer.FRONTEND, RELAY, new Side(backend));
        removeIfPresent(cp, HttpProxyInitializer.HEAD_TIMEOUT);
        removeIfPresent(cp, HttpProxyInitializer.ENCODER);
        removeIfPresent(cp, HttpProxyInitializer.DECODER);
        ChannelPipeline bp = backend.pipeline();
        bp.replace(BackendConnectionPool.HANDLER, RELAY, new Side(client));
        removeIfPresent(bp, BackendConnectionPool.CODEC);
        backend.closeFuture().addListener(f -> target.onEnd());
        client.read();
        backend.read();
    }

    private static void removeIfPresent(ChannelPipeline p, String name) {
        if (p.get(name) != null) {
            p.remove(name);
        }
    }

    /**
     * One direction: what this channel reads goes to {@code peer}. It is also the listener of its own
     * writes (one write in flight at a time: the next read is asked for when it completes), so relaying
     * a piece allocates no listener.
     */
    private static final class Side extends ChannelInboundHandlerAdapter implements ChannelFutureListener {
        private final Channel peer;
        /** Set once in handlerAdded, on the loop. */
        private ChannelHandlerContext ctx;

        Side(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf buf)) {
                // the HTTP decoder's end-of-message marker after the 101
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!peer.isActive()) {
                buf.release();
                return;
            }
            peer.writeAndFlush(buf).addListener(this);
        }

        /** A write to {@code peer} completed. */
        @Override
        public void operationComplete(ChannelFuture f) {
            if (f.isSuccess()) {
                ctx.read();
            } else {
                closeBoth(ctx);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // reads are asked for after each write completes
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                closeBoth(ctx);
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            closeBoth(ctx);
        }

        private void closeBoth(ChannelHandlerContext ctx) {
            ctx.close();
            peer.close();
        }
    }
}
