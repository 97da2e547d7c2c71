package io.pharos.proxy.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A half-closed epoll channel whose interest set went empty and that then has to wait for its socket to
 * drain: the peer sends its FIN first (the channel does not read, so once Netty handled the FIN nothing is
 * left to watch), then the channel writes more than the kernel buffers hold before the peer reads.
 * With {@link ReAddingEpollIoHandler} every byte arrives. With Netty's own {@link EpollIoHandler} the
 * write fails (epoll_ctl MOD on a removed fd: ENOENT) — that leg is the canary that tells when a Netty
 * upgrade makes the workaround unnecessary.
 */
class ReAddingEpollIoHandlerIT {
    private static final int CHUNK = 64 * 1024;
    private static final int TOTAL = 16 << 20;

    /** What one run saw: the server's write failure (null if none) and the bytes the client read. */
    record Outcome(Throwable writeFailure, long received) {
    }

    private static Outcome writeAfterPeerFin(IoHandlerFactory factory) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, factory);
        try {
            CompletableFuture<Throwable> writeResult = new CompletableFuture<>();
            CountDownLatch flushed = new CountDownLatch(1);
            byte[] block = new byte[CHUNK];
            Channel server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                            if (evt instanceof ChannelInputShutdownReadComplete) {
                                // a task runs after Netty cleared EPOLLRDHUP: the interest set is empty now
                                ctx.executor().execute(() -> {
                                    ChannelFuture last = null;
                                    for (int i = 0; i < TOTAL / CHUNK; i++) {
                                        last = ctx.write(Unpooled.wrappedBuffer(block));
                                    }
                                    ctx.flush();
                                    flushed.countDown();
                                    last.addListener(f -> {
                                        writeResult.complete(f.cause());
                                        ctx.close();
                                    });
                                });
                            }
                        }
                    }).bind("127.0.0.1", 0).sync().channel();
            try (Socket s = new Socket()) {
                s.setReceiveBufferSize(16 * 1024);
                s.connect(new InetSocketAddress("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort()), 10_000);
                s.setSoTimeout(20_000);
                s.shutdownOutput();
                assertTrue(flushed.await(20, TimeUnit.SECONDS), "the server wrote after the FIN");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[CHUNK];
                long received = 0;
                try {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        received += n;
                    }
                } catch (java.net.SocketException reset) {
                    // the plain handler's failed write may end in a reset; what arrived is counted
                }
                return new Outcome(writeResult.get(20, TimeUnit.SECONDS), received);
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void halfClosedChannelWaitsForItsSocketToDrainAndDeliversEverything() throws Exception {
        assertTrue(Epoll.isAvailable(), "epoll: " + Epoll.unavailabilityCause());
        Outcome o = writeAfterPeerFin(ReAddingEpollIoHandler.newFactory());
        assertNull(o.writeFailure(), "the write succeeded");
        assertEquals(TOTAL, o.received(), "bytes at the peer");
    }

    @Test
    void nettysOwnHandlerStillLosesThatWrite() throws Exception {
        assertTrue(Epoll.isAvailable(), "epoll: " + Epoll.unavailabilityCause());
        Outcome o = writeAfterPeerFin(EpollIoHandler.newFactory());
        assertNotNull(o.writeFailure(), "Netty's epoll handler failed the write (if this fails, Netty was fixed:"
                + " ReAddingEpollIoHandler can go)");
        Throwable root = o.writeFailure();
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertTrue(String.valueOf(root.getMessage()).contains("epoll_ctl"), "root cause: " + root);
        assertTrue(o.received() < TOTAL, "received " + o.received());
    }
}
