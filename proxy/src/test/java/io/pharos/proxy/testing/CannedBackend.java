package io.pharos.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A backend that answers every bodiless request with the same bytes ({@code 200}, Content-Length,
 * keep-alive), found by counting {@code CRLF CRLF}; no HTTP codec, so that it costs next to nothing
 * beside the proxy it feeds (load and allocation measurements).
 */
public final class CannedBackend implements AutoCloseable {
    private final Channel server;
    private final ChannelGroup connections;
    /** The response bytes, released by {@link #close()} once no connection can write them. */
    private final ByteBuf canned;

    private CannedBackend(Channel server, ChannelGroup connections, ByteBuf canned) {
        this.server = server;
        this.connections = connections;
        this.canned = canned;
    }

    /** Listens on an ephemeral loopback port; every response carries {@code bodyBytes} bytes of body. */
    public static CannedBackend start(EventLoopGroup group, int bodyBytes) throws InterruptedException {
        String head = "HTTP/1.1 200 OK\r\nServer: canned\r\nContent-Type: text/plain\r\nContent-Length: " + bodyBytes + "\r\n\r\n";
        ByteBuf canned = Unpooled.directBuffer().writeBytes(head.getBytes(StandardCharsets.US_ASCII)).writeBytes(new byte[bodyBytes]);
        ByteBuf response = Unpooled.unreleasableBuffer(canned.asReadOnly());
        ChannelGroup connections = new DefaultChannelGroup("canned", GlobalEventExecutor.INSTANCE);
        Channel server = new ServerBootstrap()
                .group(group)
                .channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline().addLast(new Responder(response));
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        return new CannedBackend(server, connections, canned);
    }

    public String address() {
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return "127.0.0.1:" + a.getPort();
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        connections.close().awaitUninterruptibly();
        canned.release();
    }

    /** Writes one response per request end seen; the matcher state survives reads that split a CRLF CRLF. */
    private static final class Responder extends ChannelInboundHandlerAdapter {
        private final ByteBuf response;
        /** How many bytes of CRLF CRLF matched so far; written on the channel's loop. */
        private int matched;

        Responder(ByteBuf response) {
            this.response = response;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf in = (ByteBuf) msg;
            try {
                for (int i = in.readerIndex(); i < in.writerIndex(); i++) {
                    byte b = in.getByte(i);
                    boolean expected = (matched % 2 == 0) ? b == '\r' : b == '\n';
                    matched = expected ? matched + 1 : (b == '\r' ? 1 : 0);
                    if (matched == 4) {
                        matched = 0;
                        ctx.write(response.duplicate());
                    }
                }
            } finally {
                in.release();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
