package io.pharos.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP backend on loopback that echoes everything and, when the client half-closes, sends
 * {@code BYE} and half-closes too; it counts the connections it accepted and the bytes it read.
 * Closed by {@link #close()}.
 */
public final class TcpEchoBackend implements AutoCloseable {
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final Channel server;

    private TcpEchoBackend(EventLoopGroup group) throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(Transport.best().serverChannel())
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.incrementAndGet();
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                bytes.addAndGet(((ByteBuf) msg).readableBytes());
                                ctx.writeAndFlush(msg);
                            }

                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                if (evt instanceof ChannelInputShutdownEvent) {
                                    ctx.writeAndFlush(Unpooled.copiedBuffer(new byte[] {'B', 'Y', 'E'}))
                                            .addListener((ChannelFutureListener) f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                                }
                            }
                        });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public static TcpEchoBackend start(EventLoopGroup group) throws InterruptedException {
        return new TcpEchoBackend(group);
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Bytes read from all connections so far. */
    public long bytes() {
        return bytes.get();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
    }
}
