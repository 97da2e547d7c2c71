package io.pharos.proxy.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.net.SocketAddress;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The I/O transport: native epoll where it loads, NIO otherwise (logged once). Decides the event loop
 * group and the channel classes for both sides, so a client channel and its backend channels always
 * use the same transport (required for {@code splice} and for sharing one loop). Epoll loops run
 * {@link ReAddingEpollIoHandler}, which works around a Netty defect that breaks half-closed connections.
 */
public record Transport(String name, IoHandlerFactory ioHandlerFactory,
                        Class<? extends ServerChannel> serverChannel,
                        Class<? extends SocketChannel> socketChannel) {
    private static final Logger LOG = Logger.getLogger(Transport.class.getName());

    /** Epoll if available and not disabled with {@code -Dpharos.transport=nio}; NIO otherwise. */
    public static Transport best() {
        boolean wantNio = "nio".equalsIgnoreCase(System.getProperty("pharos.transport"));
        if (!wantNio && Epoll.isAvailable()) {
            return new Transport("epoll", ReAddingEpollIoHandler.newFactory(), EpollServerSocketChannel.class, EpollSocketChannel.class);
        }
        if (!wantNio) {
            LOG.info("native epoll unavailable (" + Epoll.unavailabilityCause() + "); using NIO");
        }
        return nio();
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class);
    }

    public boolean isEpoll() {
        return name.equals("epoll");
    }

    public EventLoopGroup newGroup(int threads, String threadPrefix) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true), ioHandlerFactory);
    }

    /**
     * Binds a server channel of this transport on {@code group} at {@code address}; {@code pipeline} sets up
     * every accepted channel. For the small side servers (admin, demo), not the listeners. Blocks until bound.
     */
    public Channel bindServer(EventLoopGroup group, SocketAddress address, Consumer<ChannelPipeline> pipeline)
            throws InterruptedException {
        return new ServerBootstrap()
                .group(group)
                .channel(serverChannel)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        pipeline.accept(c.pipeline());
                    }
                })
                .bind(address).sync().channel();
    }
}
