package io.pharos.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * L4 bulk: {@code connections} TCP connections that each write {@code chunk}-byte buffers as fast as the
 * socket accepts them (writes continue whenever the channel turns writable again). Bytes are counted when
 * handed to the socket, so the figure overstates what arrived by at most the socket buffers (a few
 * hundred KiB per connection, well under 1% of a multi-second run). Anything the peer sends back is read
 * and discarded, so an echo target works too.
 */
final class TcpLoad {
    private TcpLoad() {
    }

    /** Runs the load described by {@code o}; blocks for warm-up + duration. */
    static LoadResult run(BenchOptions o, PrintStream out) throws InterruptedException {
        InetSocketAddress target = new InetSocketAddress(o.host(), o.port());
        out.printf(Locale.ROOT, "pharos-bench tcp %s:%d  %d connections, %d-byte writes, %d thread(s), %s%n",
                o.host(), o.port(), o.connections(), o.chunk(), o.threads(), Transports.name());
        out.printf(Locale.ROOT, "  warm-up %s, counted %s%n", o.warmup(), o.duration());
        byte[] payload = new byte[o.chunk()];
        ThreadLocalRandom.current().nextBytes(payload);
        ByteBuf chunk = Unpooled.directBuffer(o.chunk()).writeBytes(payload);
        EventLoopGroup group = Transports.group(o.threads());
        try {
            List<LoopStats> stats = new ArrayList<>();
            List<EventLoop> loops = new ArrayList<>();
            for (EventExecutor e : group) {
                loops.add((EventLoop) e);
                stats.add(new LoopStats());
            }
            LoadControl control = new LoadControl();
            List<Channel> channels = new ArrayList<>();
            for (int i = 0; i < o.connections(); i++) {
                int l = i % loops.size();
                ChannelFuture f = new Bootstrap().group(loops.get(l)).channel(Transports.socketChannel())
                        .option(ChannelOption.TCP_NODELAY, true)
                        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(128 * 1024, 512 * 1024))
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, o.timeout().toMillis()))
                        .handler(new Writer(chunk, control, stats.get(l)))
                        .connect(target);
                channels.add(f.channel());
                f.awaitUninterruptibly();
                if (!f.isSuccess()) {
                    LoopStats s = stats.get(l);
                    loops.get(l).submit(() -> s.error(ErrorKind.CONNECT)).awaitUninterruptibly();
                    out.println("  connect to " + target + " failed: " + f.cause());
                }
            }
            LoadResult result = Measurement.run(o, "tcp", control, stats, out);
            for (Channel c : channels) {
                c.close();
            }
            return result;
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            chunk.release();
        }
    }

    /** Writes while writable; one per connection (not sharable), confined to its event loop. */
    private static final class Writer extends ChannelInboundHandlerAdapter {
        private final ByteBuf chunk;
        private final LoadControl control;
        private final LoopStats stats;

        Writer(ByteBuf chunk, LoadControl control, LoopStats stats) {
            this.chunk = chunk;
            this.control = control;
            this.stats = stats;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            pump(ctx.channel());
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            pump(ctx.channel());
        }

        private void pump(Channel ch) {
            boolean wrote = false;
            while (control.running() && ch.isActive() && ch.isWritable()) {
                ch.write(chunk.retainedDuplicate(), ch.voidPromise());
                if (control.recording()) {
                    stats.addBytes(chunk.readableBytes());
                }
                wrote = true;
            }
            if (wrote) {
                ch.flush();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (control.running() && control.recording()) {
                stats.error(ErrorKind.RESET);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
