package io.pharos.proxy.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.proxy.l7.HttpProxyInitializer;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * First handler of a cleartext HTTP listener connection: if the client opens with the HTTP/2
 * connection preface (h2c with prior knowledge) the connection becomes HTTP/2, on any other first
 * bytes HTTP/1.1. Then it removes itself, handing the bytes it saw on. A client that sends nothing
 * decisive within the header read timeout is closed. Loop-confined.
 */
final class PriorKnowledgeDetector extends ByteToMessageDecoder {
    private static final ByteBuf PREFACE = Unpooled.unreleasableBuffer(Http2CodecUtil.connectionPrefaceBuf()).asReadOnly();

    private final HttpProxyInitializer h1;
    /** Loop-confined: closes a connection that stays undecided. */
    private ScheduledFuture<?> timer;

    PriorKnowledgeDetector(HttpProxyInitializer h1) {
        this.h1 = h1;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        long ms = h1.listener().http().headerReadTimeout().toMillis();
        timer = ctx.executor().schedule(() -> ctx.close(), ms, TimeUnit.MILLISECONDS);
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        int n = Math.min(in.readableBytes(), PREFACE.readableBytes());
        if (!ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), n)) {
            h1.initHttp1(ctx.channel());
            ctx.pipeline().remove(this);
        } else if (n == PREFACE.readableBytes()) {
            Http2Connections.configure(ctx.channel(), h1);
            ctx.pipeline().remove(this);
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (timer != null) {
            timer.cancel(false);
        }
    }
}
