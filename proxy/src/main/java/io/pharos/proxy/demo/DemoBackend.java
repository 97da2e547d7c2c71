package io.pharos.proxy.demo;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A tiny HTTP application instance for {@code pharos demo}: answers every request with its own name,
 * so that balancing is visible with curl. Not a production server.
 */
public final class DemoBackend implements AutoCloseable {
    private final String name;
    private final Channel channel;

    private DemoBackend(String name, Channel channel) {
        this.name = name;
        this.channel = channel;
    }

    /** Binds {@code host:port} (0 = any free port) on {@code group}. Blocks until bound. */
    public static DemoBackend start(String name, String host, int port, EventLoopGroup group, Transport transport)
            throws InterruptedException {
        Channel ch = transport.bindServer(group, new InetSocketAddress(host, port), p -> p.addLast(
                new HttpServerCodec(), new HttpServerKeepAliveHandler(), new HttpObjectAggregator(1 << 20), new Handler(name)));
        return new DemoBackend(name, ch);
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final String name;

        Handler(String name) {
            this.name = name;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String text = "hello from " + name + " (" + req.method() + " " + req.uri() + ")\n";
            ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                    .set("x-backend", name);
            HttpUtil.setKeepAlive(resp, HttpUtil.isKeepAlive(req));
            var f = ctx.writeAndFlush(resp);
            if (!HttpUtil.isKeepAlive(req)) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
