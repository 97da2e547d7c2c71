package io.pharos.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.util.ReferenceCountUtil;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The target of the L4 bulk test: a TCP server that reads everything and discards it, counting bytes.
 * Runs until its process is stopped; prints the byte count on shutdown.
 */
final class TcpSink implements AutoCloseable {
    private final EventLoopGroup group;
    private final Channel server;
    private final LongAdder received = new LongAdder();

    private TcpSink(EventLoopGroup group, Channel server) {
        this.group = group;
        this.server = server;
    }

    /** Binds {@code address} (port 0 = any free port). Blocks until bound. */
    static TcpSink start(InetSocketAddress address, int threads) throws InterruptedException {
        EventLoopGroup group = Transports.group(threads);
        TcpSink[] self = new TcpSink[1];
        @ChannelHandler.Sharable
        final class Discard extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof io.netty.buffer.ByteBuf b) {
                    self[0].received.add(b.readableBytes());
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }
        Discard discard = new Discard();
        try {
            Channel server = new ServerBootstrap().group(group).channel(Transports.serverSocketChannel())
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(128 * 1024))
                    .childHandler(discard)
                    .bind(address).sync().channel();
            self[0] = new TcpSink(group, server);
            return self[0];
        } catch (InterruptedException | RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw e;
        }
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    long received() {
        return received.sum();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }

    /** {@code sink HOST:PORT}: serves until the process is stopped. */
    static void serve(BenchOptions o, PrintStream out) throws InterruptedException {
        TcpSink sink = start(new InetSocketAddress(o.host(), o.port()), o.threads());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println("sink: received " + sink.received() + " bytes");
            sink.close();
        }, "sink-shutdown"));
        out.println("sink: listening on " + sink.address() + " (" + Transports.name() + ")");
        out.flush();
        sink.server.closeFuture().sync();
    }
}
