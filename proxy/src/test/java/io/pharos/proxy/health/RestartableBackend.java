package io.pharos.proxy.health;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny HTTP backend for tests: answers every request with 200 and its name, counts requests (health
 * checks to {@code /healthz} apart), and can close its listener (and its connections) and listen again
 * on the same port, or turn into a black hole that reads requests and never answers, or close the
 * connection without an answer once a whole request has arrived (health checks excepted).
 */
final class RestartableBackend implements AutoCloseable {
    final String name;
    private final EventLoopGroup group;
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger checks = new AtomicInteger();
    /** Written by the test thread, read by the backend's loop. */
    volatile boolean blackHole;
    /** The status of answers to requests (not to checks); written by the test thread. */
    volatile int status = 200;
    /** The {@code x-request-id} headers of requests seen, in order. */
    final List<String> requestIds = new CopyOnWriteArrayList<>();
    /** Requests are read whole, then the connection closes without an answer. Written by the test thread. */
    volatile boolean resetRequests;
    /** Written by the test thread. */
    private Channel server;
    private int port;

    RestartableBackend(String name, EventLoopGroup group) throws InterruptedException {
        this.name = name;
        this.group = group;
        start();
    }

    int port() {
        return port;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Listens (again, on the same port once it had one). */
    synchronized void start() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port)).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Closes the listener and every open connection: new connections are refused. */
    synchronized void stop() throws InterruptedException {
        server.close().sync();
        children.close().sync();
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.uri().equals("/healthz")) {
                checks.incrementAndGet();
            } else {
                requests.incrementAndGet();
                String id = req.headers().get("x-request-id");
                if (id != null) {
                    requestIds.add(id);
                }
            }
            if (blackHole) {
                return;
            }
            if (resetRequests && !req.uri().equals("/healthz")) {
                ctx.close();
                return;
            }
            HttpResponseStatus answer = req.uri().equals("/healthz") ? HttpResponseStatus.OK : HttpResponseStatus.valueOf(status);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, answer,
                    Unpooled.copiedBuffer(name, StandardCharsets.UTF_8));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(resp, keepAlive);
            ChannelFuture written = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
