package io.pharos.proxy.continuity.apply;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.pharos.proxy.continuity.journal.JournalRecord.Header;
import io.pharos.proxy.transport.Transport;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 backend on loopback for applier tests: keeps every request whole (method, target, headers
 * in order, body), answers with the status its {@link Responder} decides (after an optional delay, or
 * never), and can stop listening (closing its connections) and listen again on the same port; over TLS
 * when given a server context.
 */
final class ReplayBackend implements AutoCloseable {

    /** A request as the backend read it. */
    record Received(String backend, String method, String target, List<Header> headers, byte[] body) {
        String header(String name) {
            String found = null;
            for (Header h : headers) {
                if (h.name().equalsIgnoreCase(name)) {
                    if (found != null) {
                        throw new AssertionError("header " + name + " twice: " + headers);
                    }
                    found = h.value();
                }
            }
            return found;
        }

        /** The sequence of {@code Pharos-Replay: origin/epoch/seq}. */
        long sequence() {
            String mark = header(Applier.REPLAY_HEADER);
            return Long.parseLong(mark.substring(mark.lastIndexOf('/') + 1));
        }
    }

    /** The status for a request: the n-th (from 1) request this backend saw with its Pharos-Replay; 0 never answers. */
    @FunctionalInterface
    interface Responder {
        int status(Received request, int nth);
    }

    final String name;
    private final EventLoopGroup group;
    private final ChannelGroup children = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> perMark = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    /** TLS of its listener, or null for plain HTTP. */
    private final SslContext tls;
    private final AtomicInteger maxInFlight = new AtomicInteger();
    /** Written by the test thread, read by the backend's loops. */
    volatile Responder responder = (r, n) -> 200;
    /** Milliseconds before answering; written by the test thread. */
    volatile int delayMillis;
    /** Written by the test thread. */
    private Channel server;
    private int port;

    ReplayBackend(String name, EventLoopGroup group) throws InterruptedException {
        this(name, group, null);
    }

    /** @param tls the listener's TLS, or null for plain HTTP */
    ReplayBackend(String name, EventLoopGroup group, SslContext tls) throws InterruptedException {
        this.name = name;
        this.group = group;
        this.tls = tls;
        listen();
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Listens (again) on its port, 0 at first. */
    void listen() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(Transport.best().serverChannel())
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        children.add(ch);
                        connections.incrementAndGet();
                        if (tls != null) {
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20), new Handler());
                    }
                })
                .bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** Stops listening and closes every connection: connects are refused until {@link #listen()}. */
    void stop() {
        server.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        children.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Connections accepted so far. */
    int connections() {
        return connections.get();
    }

    /** The most requests it held unanswered at once. */
    int maxInFlight() {
        return maxInFlight.get();
    }

    /** Requests received with Pharos-Replay sequence {@code seq}. */
    List<Received> of(long seq) {
        List<Received> out = new ArrayList<>();
        for (Received r : received) {
            if (r.sequence() == seq) {
                out.add(r);
            }
        }
        return out;
    }

    @Override
    public void close() {
        stop();
    }

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            List<Header> headers = new ArrayList<>();
            req.headers().forEach(e -> headers.add(new Header(e.getKey(), e.getValue())));
            Received r = new Received(name, req.method().name(), req.uri(), headers, ByteBufUtil.getBytes(req.content()));
            String mark = r.header(Applier.REPLAY_HEADER);
            int nth = perMark.computeIfAbsent(String.valueOf(mark), k -> new AtomicInteger()).incrementAndGet();
            received.add(r);
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            int status = responder.status(r, nth);
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            if (status == 0) {
                return;
            }
            int delay = delayMillis;
            if (delay > 0) {
                ctx.executor().schedule(() -> answer(ctx, status, keepAlive), delay, TimeUnit.MILLISECONDS);
            } else {
                answer(ctx, status, keepAlive);
            }
        }

        private void answer(ChannelHandlerContext ctx, int status, boolean keepAlive) {
            inFlight.decrementAndGet();
            FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
            resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
            HttpUtil.setKeepAlive(resp, keepAlive);
            var f = ctx.writeAndFlush(resp);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
