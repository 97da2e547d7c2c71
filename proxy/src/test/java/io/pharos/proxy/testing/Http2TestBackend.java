package io.pharos.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/2 test backend (Netty frame codec and multiplexer): cleartext h2c with prior knowledge, or
 * TLS offering only {@code h2} by ALPN. It counts connections and streams, remembers the request
 * HEADERS of every stream and which connection carried it, and keeps the highest number of streams
 * open at once on any connection.
 *
 * <p>Routes: {@code /echo} answers at once and streams the request body back DATA by DATA, reading
 * the next frame only when the response side is writable; any other path answers once the request
 * ended (after {@code ?delay=MS} if given) with a body {@code NAME conn=N path=P bytes=B}. Every
 * response carries {@code x-backend}, {@code x-conn} (the connection number, from 1) and
 * {@code x-authority}, {@code x-scheme}, {@code x-path} as received. Its connection receive window
 * has room for 100 stream windows (as a server tuned for multiplexing has).
 */
public final class Http2TestBackend implements AutoCloseable {
    private final String name;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    private final AtomicInteger maxOpenStreams = new AtomicInteger();
    /** Streams still to refuse with RST_STREAM(REFUSED_STREAM) before processing any. */
    private final AtomicInteger toRefuse = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final List<Http2Headers> seen = new CopyOnWriteArrayList<>();
    private final Map<Channel, AtomicInteger> open = new ConcurrentHashMap<>();
    private final Map<Channel, Http2FrameCodec> codecs = new ConcurrentHashMap<>();
    private Channel server;

    private Http2TestBackend(String name) {
        this.name = name;
    }

    /** A cleartext (h2c prior knowledge) backend; {@code maxConcurrentStreams} 0 announces no limit. */
    public static Http2TestBackend start(String name, EventLoopGroup group, int maxConcurrentStreams) throws InterruptedException {
        return start(name, group, maxConcurrentStreams, null);
    }

    /** A TLS backend offering only h2 by ALPN, with the given certificate and key. */
    public static Http2TestBackend startTls(String name, EventLoopGroup group, Path cert, Path key) throws Exception {
        SslContext tls = SslContextBuilder.forServer(cert.toFile(), key.toFile())
                .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "h2"))
                .build();
        return start(name, group, 0, tls);
    }

    private static Http2TestBackend start(String name, EventLoopGroup group, int maxConcurrentStreams, SslContext tls)
            throws InterruptedException {
        Http2TestBackend b = new Http2TestBackend(name);
        b.server = new ServerBootstrap()
                .group(group)
                .channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        int id = b.connections.incrementAndGet();
                        AtomicInteger openHere = new AtomicInteger();
                        b.open.put(c, openHere);
                        c.closeFuture().addListener(f -> b.open.remove(c));
                        if (tls != null) {
                            c.pipeline().addLast(tls.newHandler(c.alloc()));
                        }
                        Http2Settings settings = Http2Settings.defaultSettings();
                        if (maxConcurrentStreams > 0) {
                            settings.maxConcurrentStreams(maxConcurrentStreams);
                        }
                        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer().initialSettings(settings).build();
                        b.codecs.put(c, codec);
                        c.closeFuture().addListener(f -> b.codecs.remove(c));
                        c.pipeline().addLast(codec,
                                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel s) {
                                        s.config().setAutoRead(false);
                                        s.pipeline().addLast(new StreamHandler(b, id, openHere));
                                    }
                                }),
                                new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void channelActive(ChannelHandlerContext ctx) {
                                        // a connection window with room for 100 full stream windows, so one
                                        // stream that stops reading cannot block the others
                                        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(99 * Http2CodecUtil.DEFAULT_WINDOW_SIZE));
                                        ctx.fireChannelActive();
                                    }
                                });
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        return b;
    }

    public String name() {
        return name;
    }

    public String address() {
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Streams (requests) received so far. */
    public int streams() {
        return streams.get();
    }

    /** The most streams that were open at once on one connection. */
    public int maxOpenStreams() {
        return maxOpenStreams.get();
    }

    /**
     * What each open connection may still send to its client (the proxy) before a WINDOW_UPDATE: the
     * client's connection-level receive window as this side sees it. Asks each connection's loop.
     */
    public List<Integer> connectionSendWindows() throws Exception {
        List<Integer> out = new java.util.ArrayList<>();
        for (Map.Entry<Channel, Http2FrameCodec> e : codecs.entrySet()) {
            Http2Connection conn = e.getValue().connection();
            out.add(e.getKey().eventLoop().submit(() -> conn.remote().flowController().windowSize(conn.connectionStream()))
                    .get(5, TimeUnit.SECONDS));
        }
        return out;
    }

    /** Refuses the next {@code n} streams with RST_STREAM(REFUSED_STREAM), unprocessed and uncounted in {@link #streams()}. */
    public void refuseNext(int n) {
        toRefuse.set(n);
    }

    /** Streams refused so far. */
    public int refused() {
        return refused.get();
    }

    /** The request HEADERS of every stream, in arrival order. */
    public List<Http2Headers> seen() {
        return seen;
    }

    /** Sends GOAWAY on every connection (streams already received finish) and stops accepting new ones. */
    public void goAway() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (Channel c : open.keySet()) {
            // the HTTP/2 handler turns close() into GOAWAY and a graceful shutdown
            c.close();
        }
    }

    /** Stops listening and drops every connection at once, streams in flight included (no GOAWAY). */
    public void kill() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (Channel c : open.keySet()) {
            c.config().setOption(ChannelOption.SO_LINGER, 0);
            c.eventLoop().execute(() -> c.unsafe().close(c.voidPromise()));
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (Channel c : open.keySet()) {
            c.close();
        }
    }

    /** One stream on the backend. Runs on the connection's loop. */
    private static final class StreamHandler extends ChannelInboundHandlerAdapter {
        private final Http2TestBackend b;
        private final int connId;
        private final AtomicInteger openHere;
        private Http2Headers request;
        private boolean echo;
        private long received;

        StreamHandler(Http2TestBackend b, int connId, AtomicInteger openHere) {
            this.b = b;
            this.connId = connId;
            this.openHere = openHere;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            int now = openHere.incrementAndGet();
            b.maxOpenStreams.accumulateAndGet(now, Math::max);
            ctx.read();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            openHere.decrementAndGet();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2HeadersFrame hf) {
                if (request == null && b.toRefuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    b.refused.incrementAndGet();
                    ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
                    return;
                }
                if (request == null) {
                    request = hf.headers();
                    b.streams.incrementAndGet();
                    b.seen.add(request);
                    echo = request.path() != null && request.path().toString().startsWith("/echo");
                    if (echo) {
                        ctx.writeAndFlush(new DefaultHttp2HeadersFrame(responseHeaders(), hf.isEndStream()));
                    }
                }
                if (hf.isEndStream() && !echo) {
                    answer(ctx);
                }
                ctx.read();
            } else if (msg instanceof Http2DataFrame df) {
                received += df.content().readableBytes();
                if (echo) {
                    // the body goes back as it comes; the next frame is read once this one is written
                    ctx.writeAndFlush(new DefaultHttp2DataFrame(df.content().retain(), df.isEndStream())).addListener(f -> {
                        if (ctx.channel().isWritable()) {
                            ctx.read();
                        }
                    });
                    df.release();
                } else {
                    boolean end = df.isEndStream();
                    df.release();
                    if (end) {
                        answer(ctx);
                    }
                    ctx.read();
                }
            } else {
                ReferenceCountUtil.release(msg);
                ctx.read();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (echo && ctx.channel().isWritable()) {
                ctx.read();
            }
        }

        private Http2Headers responseHeaders() {
            Http2Headers h = new DefaultHttp2Headers().status("200");
            h.set("x-backend", b.name);
            h.setInt("x-conn", connId);
            h.set("x-authority", String.valueOf(request.authority()));
            h.set("x-scheme", String.valueOf(request.scheme()));
            h.set("x-path", String.valueOf(request.path()));
            return h;
        }

        private void answer(ChannelHandlerContext ctx) {
            String path = String.valueOf(request.path());
            List<String> delay = new QueryStringDecoder(path).parameters().get("delay");
            Runnable send = () -> {
                ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), b.name + " conn=" + connId + " path=" + path + " bytes=" + received);
                Http2Headers h = responseHeaders();
                h.setInt("content-length", body.readableBytes());
                ctx.write(new DefaultHttp2HeadersFrame(h, false));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(body, true));
            };
            if (delay != null) {
                ctx.executor().schedule(send, Long.parseLong(delay.get(0)), TimeUnit.MILLISECONDS);
            } else {
                send.run();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
