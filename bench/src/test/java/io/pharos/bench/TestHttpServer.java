package io.pharos.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A loopback HTTP/1.1 server for the generator's tests whose every answer follows a {@link Script}. */
final class TestHttpServer implements AutoCloseable {
    /** What to do with request number {@code n} (0-based, over all connections). */
    interface Script {
        Reply reply(long n);
    }

    /** An answer: a status after a delay (optionally closing), or silence, or a reset. */
    record Reply(int status, long delayMillis, boolean close, boolean hang, boolean reset) {
        static Reply ok() {
            return new Reply(200, 0, false, false, false);
        }

        static Reply status(int status) {
            return new Reply(status, 0, false, false, false);
        }

        static Reply delayed(long millis) {
            return new Reply(200, millis, false, false, false);
        }

        static Reply okThenClose() {
            return new Reply(200, 0, true, false, false);
        }

        static Reply silence() {
            return new Reply(0, 0, false, true, false);
        }

        static Reply abort() {
            return new Reply(0, 0, false, false, true);
        }
    }

    private final EventLoopGroup group = Transports.group(1);
    private final Channel server;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong connections = new AtomicLong();

    TestHttpServer(Script script) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(Transports.serverSocketChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.incrementAndGet();
                        ch.pipeline().addLast(new HttpServerCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                            @Override
                            protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                                if (msg instanceof LastHttpContent) {
                                    answer(ctx, script.reply(requests.getAndIncrement()));
                                }
                            }
                        });
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
    }

    private static void answer(ChannelHandlerContext ctx, Reply r) {
        if (r.hang()) {
            return;
        }
        if (r.reset()) {
            ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
            ctx.close();
            return;
        }
        Runnable send = () -> {
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()),
                    Unpooled.copiedBuffer("hello", StandardCharsets.US_ASCII));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 5);
            if (r.close()) {
                resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                ctx.writeAndFlush(resp).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(resp);
            }
        };
        if (r.delayMillis() > 0) {
            ctx.executor().schedule(send, r.delayMillis(), TimeUnit.MILLISECONDS);
        } else {
            send.run();
        }
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    String url() {
        return "http://127.0.0.1:" + port() + "/";
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
