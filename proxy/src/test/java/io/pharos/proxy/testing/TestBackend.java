package io.pharos.proxy.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A real HTTP/1.1 backend on loopback for tests, streaming (no aggregation). Routes:
 * <ul>
 *   <li>{@code /} or anything else: 200, body {@code NAME}</li>
 *   <li>{@code /sink}: reads the whole request body, answers {@code bytes=N crc=C}</li>
 *   <li>{@code /echo}: streams the request body back, chunked</li>
 *   <li>{@code /bytes?n=N[&chunked=1]}: N deterministic bytes ({@link #pattern}), Content-Length or chunked</li>
 *   <li>{@code /close-delimited?n=N}: N bytes, no framing, connection closed after</li>
 *   <li>{@code /status?code=C}: an empty response with that status</li>
 *   <li>{@code /slow?ms=M}: answers after M ms</li>
 *   <li>{@code /headers}: the request headers as {@code name: value} lines</li>
 *   <li>{@code /reset}: closes the connection without answering</li>
 * </ul>
 * Counts connections, requests (begun and whole), raw bytes received and body bytes streamed by
 * {@code /bytes}, so tests can assert what reached it and how far it got.
 */
public final class TestBackend implements AutoCloseable {
    private final String name;
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger wholeRequests = new AtomicInteger();
    private final AtomicLong streamed = new AtomicLong();
    private final AtomicLong rawBytes = new AtomicLong();
    private final AtomicLong rawBytesSent = new AtomicLong();
    private final List<HttpRequest> seen = new CopyOnWriteArrayList<>();
    private final Map<Channel, Boolean> open = new ConcurrentHashMap<>();

    private TestBackend(String name, Channel server) {
        this.name = name;
        this.server = server;
    }

    public static TestBackend start(String name, EventLoopGroup group) throws InterruptedException {
        return start(name, "127.0.0.1", 0, group);
    }

    public static TestBackend start(String name, String host, int port, EventLoopGroup group) throws InterruptedException {
        TestBackend[] self = new TestBackend[1];
        Channel ch = new ServerBootstrap()
                .group(group)
                .channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                        TestBackend b = self[0];
                        b.connections.incrementAndGet();
                        b.open.put(c, Boolean.TRUE);
                        c.closeFuture().addListener(f -> b.open.remove(c));
                        c.pipeline().addLast(new ChannelDuplexHandler() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof ByteBuf buf) {
                                    b.rawBytes.addAndGet(buf.readableBytes());
                                }
                                ctx.fireChannelRead(msg);
                            }

                            @Override
                            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                                if (msg instanceof ByteBuf buf) {
                                    b.rawBytesSent.addAndGet(buf.readableBytes());
                                }
                                ctx.write(msg, promise);
                            }
                        });
                        c.pipeline().addLast(new HttpServerCodec(), new Handler(b));
                    }
                })
                .bind(host, port).sync().channel();
        TestBackend b = new TestBackend(name, ch);
        self[0] = b;
        return b;
    }

    public String name() {
        return name;
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public String address() {
        InetSocketAddress a = (InetSocketAddress) server.localAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    public int connections() {
        return connections.get();
    }

    public int requests() {
        return requests.get();
    }

    /** Requests whose last piece arrived (a request cut off midway counts in {@link #requests()} only). */
    public int wholeRequests() {
        return wholeRequests.get();
    }

    /** Body bytes {@code /bytes} and {@code /close-delimited} handed to their connections so far. */
    public long streamedBytes() {
        return streamed.get();
    }

    /** Connections open now. */
    public int openConnections() {
        return open.size();
    }

    public long rawBytes() {
        return rawBytes.get();
    }

    /** Bytes written to the wire, headers included. */
    public long rawBytesSent() {
        return rawBytesSent.get();
    }

    public List<HttpRequest> seen() {
        return seen;
    }

    /** Stops listening and closes every open connection. */
    @Override
    public void close() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (Channel c : open.keySet()) {
            c.close();
        }
    }

    /** Byte {@code i} of the deterministic stream {@code /bytes} serves. */
    public static byte pattern(long i) {
        return (byte) ((i * 31 + (i >>> 8)) & 0xff);
    }

    private static final class Handler extends ChannelInboundHandlerAdapter {
        private final TestBackend b;
        private String route = "/";
        private QueryStringDecoder query;
        private boolean keepAlive;
        private long received;
        private final CRC32 crc = new CRC32();

        Handler(TestBackend b) {
            this.b = b;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest req) {
                    b.requests.incrementAndGet();
                    b.seen.add(req);
                    query = new QueryStringDecoder(req.uri());
                    route = query.path();
                    keepAlive = HttpUtil.isKeepAlive(req);
                    received = 0;
                    crc.reset();
                    if (route.equals("/echo")) {
                        HttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                        HttpUtil.setTransferEncodingChunked(resp, true);
                        HttpUtil.setKeepAlive(resp, keepAlive);
                        ctx.write(resp);
                    } else if (route.equals("/reset")) {
                        ctx.close();
                        return;
                    }
                }
                if (msg instanceof HttpContent c) {
                    received += c.content().readableBytes();
                    if (route.equals("/sink")) {
                        crc.update(c.content().nioBuffer());
                    }
                    if (route.equals("/echo")) {
                        // the last content may carry the body's final bytes too (Content-Length framing)
                        if (c.content().isReadable()) {
                            ctx.write(new DefaultHttpContent(c.content().retain()));
                        }
                        if (c instanceof LastHttpContent) {
                            ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
                        } else {
                            ctx.flush();
                        }
                    }
                    if (c instanceof LastHttpContent) {
                        b.wholeRequests.incrementAndGet();
                        respond(ctx);
                    }
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void respond(ChannelHandlerContext ctx) {
            switch (route) {
                case "/echo" -> finish(ctx, ctx.writeAndFlush(Unpooled.EMPTY_BUFFER));
                case "/sink" -> full(ctx, HttpResponseStatus.OK, "bytes=" + received + " crc=" + crc.getValue());
                case "/status" -> full(ctx, HttpResponseStatus.valueOf(Integer.parseInt(param("code", "200"))), "");
                case "/headers" -> {
                    StringBuilder sb = new StringBuilder();
                    b.seen.get(b.seen.size() - 1).headers().forEach(e -> sb.append(e.getKey().toLowerCase()).append(": ").append(e.getValue()).append('\n'));
                    full(ctx, HttpResponseStatus.OK, sb.toString());
                }
                case "/slow" -> ctx.executor().schedule(() -> full(ctx, HttpResponseStatus.OK, b.name),
                        Long.parseLong(param("ms", "100")), TimeUnit.MILLISECONDS);
                case "/bytes" -> streamBytes(ctx, Long.parseLong(param("n", "0")), param("chunked", "0").equals("1"), false);
                case "/close-delimited" -> streamBytes(ctx, Long.parseLong(param("n", "0")), false, true);
                default -> full(ctx, HttpResponseStatus.OK, b.name);
            }
        }

        private String param(String key, String dflt) {
            List<String> v = query.parameters().get(key);
            return v == null || v.isEmpty() ? dflt : v.get(0);
        }

        private void full(ChannelHandlerContext ctx, HttpResponseStatus status, String text) {
            ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes())
                    .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
                    .set("x-backend", b.name);
            HttpUtil.setKeepAlive(resp, keepAlive);
            finish(ctx, ctx.writeAndFlush(resp));
        }

        private void finish(ChannelHandlerContext ctx, io.netty.channel.ChannelFuture f) {
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        /** Streams {@code n} pattern bytes with backpressure: the next piece goes when the channel is writable. */
        private void streamBytes(ChannelHandlerContext ctx, long n, boolean chunked, boolean closeDelimited) {
            HttpResponse resp = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            resp.headers().set("x-backend", b.name);
            if (closeDelimited) {
                resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (chunked) {
                HttpUtil.setTransferEncodingChunked(resp, true);
                HttpUtil.setKeepAlive(resp, keepAlive);
            } else {
                HttpUtil.setContentLength(resp, n);
                HttpUtil.setKeepAlive(resp, keepAlive);
            }
            ctx.write(resp);
            new Streamer(ctx, n, closeDelimited || !keepAlive, b.streamed).run();
        }
    }

    /** Writes pattern bytes while the channel is writable; resumes from a write listener otherwise. */
    private static final class Streamer implements Runnable {
        private static final int PIECE = 64 * 1024;
        private final ChannelHandlerContext ctx;
        private final long total;
        private final boolean close;
        private final AtomicLong streamed;
        private long sent;

        Streamer(ChannelHandlerContext ctx, long total, boolean close, AtomicLong streamed) {
            this.ctx = ctx;
            this.total = total;
            this.close = close;
            this.streamed = streamed;
        }

        @Override
        public void run() {
            while (sent < total && ctx.channel().isActive()) {
                int len = (int) Math.min(PIECE, total - sent);
                byte[] bytes = new byte[len];
                for (int i = 0; i < len; i++) {
                    bytes[i] = pattern(sent + i);
                }
                // one bulk write: under the paranoid leak detector every buffer call records a stack trace
                ByteBuf buf = ctx.alloc().buffer(len).writeBytes(bytes);
                sent += len;
                streamed.addAndGet(len);
                var f = ctx.writeAndFlush(new DefaultHttpContent(buf));
                if (!ctx.channel().isWritable()) {
                    f.addListener(x -> ctx.executor().execute(this));
                    return;
                }
            }
            var f = ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            if (close) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
