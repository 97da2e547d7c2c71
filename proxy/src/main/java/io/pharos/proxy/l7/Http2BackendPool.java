package io.pharos.proxy.l7;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.BackendByteCounter;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 connections to the backends of {@code protocol = h2} clusters, for one event loop: each
 * exchange gets a stream of its own on a shared connection, which it closes when done. A stream goes
 * to a connection to its backend that has room under the backend's SETTINGS_MAX_CONCURRENT_STREAMS (a
 * ready one first, else one still being set up), and a new connection is opened only when none has.
 * Connections without streams are closed after the cluster's idle timeout, and once their backend is
 * removed by a reload when their last stream ends. Cleartext connections speak h2c with prior
 * knowledge; with {@code upstream-tls} ALPN must choose {@code h2}.
 *
 * <p>Loop-confined: every method runs on the pool's event loop, like the client connections using it.
 */
final class Http2BackendPool implements UpstreamChannels {
    static final String TLS = BackendConnectionPool.TLS;
    static final String CODEC = "h2-codec";
    static final String MULTIPLEX = "h2-multiplex";
    static final String CONNECTION = "h2-connection";
    static final String STREAM_CODEC = "h2-stream-codec";
    static final String STREAM_ADAPTER = "h2-stream-adapter";
    /**
     * Most streams on one connection, whatever the backend allows: with {@link #CONNECTION_WINDOW} it
     * keeps one stream whose client stalls (its window unread) from stalling the others on its connection.
     */
    static final int MAX_STREAMS_PER_CONNECTION = 100;
    /** Streams expected on a new connection before its backend's SETTINGS say (RFC 9113 recommends >= 100). */
    static final int ASSUMED_STREAMS = MAX_STREAMS_PER_CONNECTION;
    /** Receive window of a connection: room for every stream's full window (65 535, the default). */
    static final int CONNECTION_WINDOW = MAX_STREAMS_PER_CONNECTION * Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    /** Largest header list accepted from a backend, as the HTTP/1.1 backend codec allows. */
    static final int MAX_HEADER_LIST = 64 * 1024;
    private static final long SWEEP_MILLIS = 1000;
    private static final Http2StreamFrameToHttpObjectCodec FRAME_TO_HTTP = new Http2StreamFrameToHttpObjectCodec(false, false);

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    /** Client TLS for clusters with upstream-tls; null when none may use it. */
    private final UpstreamTls upstreamTls;
    private final Map<Backend, PerBackend> backends = new IdentityHashMap<>();
    private final ChannelInitializer<Channel> httpStreams = streamInitializer(Http2StreamBackendAdapter.HTTP);
    private final ChannelInitializer<Channel> httpsStreams = streamInitializer(Http2StreamBackendAdapter.HTTPS);
    /** Set once on the loop by {@link #start()}; cancelled by {@link #close()}. */
    private ScheduledFuture<?> sweeper;

    /** A backend's connections and the stream limit it announced last. Loop-confined. */
    private static final class PerBackend {
        final List<Http2BackendConnection> connections = new ArrayList<>(2);
        /** The backend's last SETTINGS_MAX_CONCURRENT_STREAMS; written on the loop. */
        int knownLimit = ASSUMED_STREAMS;
    }

    Http2BackendPool(EventLoop loop, Transport transport, UpstreamTls upstreamTls) {
        this.loop = loop;
        this.upstreamTls = upstreamTls;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    EventLoop loop() {
        return loop;
    }

    void start() {
        loop.execute(() -> sweeper = loop.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS));
    }

    /** Streams are never idle in a pool: an exchange always waits for {@link #open}. */
    @Override
    public Channel acquire(Backend backend, ClusterConfig cluster) {
        return null;
    }

    @Override
    public Future<Channel> open(Backend backend, ClusterConfig cluster) {
        assert loop.inEventLoop();
        Promise<Channel> p = loop.newPromise();
        dispatch(backend, cluster, p);
        return p;
    }

    /** A stream ends with its exchange: closing a finished stream sends nothing, an unfinished one is reset. */
    @Override
    public void release(Backend backend, Channel ch, ClusterConfig cluster) {
        ch.close();
    }

    /** Puts {@code p} on a connection to {@code backend} with room, opening one when none has. */
    void dispatch(Backend backend, ClusterConfig cluster, Promise<Channel> p) {
        PerBackend pb = backends.computeIfAbsent(backend, b -> new PerBackend());
        Http2BackendConnection c = choose(pb.connections, cluster);
        if (c != null) {
            c.assign(p);
            return;
        }
        // listed and waited on before connecting: a connect that fails at once removes it and fails p with its cause
        c = new Http2BackendConnection(this, backend, cluster, pb.knownLimit);
        pb.connections.add(c);
        c.assign(p);
        connect(c);
    }

    /**
     * The connection a new stream for {@code cluster} goes on: the first ready one with room, else the
     * first one being set up with room, else null (open another). Connections made with other TLS
     * settings (the cluster changed by a reload) are not chosen.
     */
    static Http2BackendConnection choose(List<Http2BackendConnection> connections, ClusterConfig cluster) {
        Http2BackendConnection connecting = null;
        for (Http2BackendConnection c : connections) {
            if (c.room() == 0 || !Objects.equals(c.cluster().upstreamTls(), cluster.upstreamTls())) {
                continue;
            }
            if (c.state() == Http2BackendConnection.State.READY) {
                return c;
            }
            if (connecting == null) {
                connecting = c;
            }
        }
        return connecting;
    }

    private void connect(Http2BackendConnection conn) {
        Backend backend = conn.backend();
        ClusterConfig cluster = conn.cluster();
        boolean tls = cluster.upstreamTls().isPresent();
        if (tls && upstreamTls == null) {
            conn.fail(new IllegalStateException("upstream TLS requested but not configured for this pool"));
            return;
        }
        backend.stats().onConnectionOpened();
        ChannelFuture f = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, cluster.timeouts().connect().toMillis()))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(BackendByteCounter.NAME, backend.byteCounter());
                        if (tls) {
                            ch.pipeline().addLast(TLS, upstreamTls.newH2Handler(cluster.upstreamTls().get(), backend, ch.alloc()));
                        }
                        ch.pipeline()
                                .addLast(CODEC, newFrameCodec())
                                .addLast(MULTIPLEX, new Http2MultiplexHandler(NoPushedStreams.INSTANCE))
                                .addLast(CONNECTION, conn);
                    }
                })
                .connect(backend.socketAddress());
        Channel ch = f.channel();
        conn.attach(ch, new Http2StreamChannelBootstrap(ch)
                .option(ChannelOption.AUTO_READ, false)
                .handler(tls ? httpsStreams : httpStreams));
        backend.connections().add(ch);
        f.addListener(done -> {
            if (!done.isSuccess()) {
                conn.fail(done.cause());
            }
        });
    }

    static Http2FrameCodec newFrameCodec() {
        return Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).maxHeaderListSize(MAX_HEADER_LIST))
                // streams over the backend's limit wait in the encoder instead of being refused
                .encoderEnforceMaxConcurrentStreams(true)
                .build();
    }

    private static ChannelInitializer<Channel> streamInitializer(Http2StreamBackendAdapter adapter) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline()
                        .addLast(STREAM_CODEC, FRAME_TO_HTTP)
                        .addLast(STREAM_ADAPTER, adapter)
                        .addLast(BackendConnectionPool.HANDLER, new HttpBackendHandler(null));
            }
        };
    }

    /** What a connection learnt from its backend's SETTINGS, for the next connection to it. */
    void learnLimit(Backend backend, int limit) {
        PerBackend pb = backends.get(backend);
        if (pb != null) {
            pb.knownLimit = limit;
        }
    }

    /** A connection that failed or closed leaves the pool. */
    void remove(Http2BackendConnection c) {
        PerBackend pb = backends.get(c.backend());
        if (pb != null && pb.connections.remove(c) && pb.connections.isEmpty()) {
            backends.remove(c.backend());
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (PerBackend pb : new ArrayList<>(backends.values())) {
            for (Http2BackendConnection c : new ArrayList<>(pb.connections)) {
                if (c.backend().isRemoved()) {
                    c.retire();
                } else {
                    c.closeIfIdle(now);
                }
            }
        }
    }

    /** Closes every connection and stops sweeping. Loop only. */
    void close() {
        assert loop.inEventLoop();
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
        for (PerBackend pb : new ArrayList<>(backends.values())) {
            for (Http2BackendConnection c : new ArrayList<>(pb.connections)) {
                c.fail(new IOException("proxy closing"));
            }
        }
        backends.clear();
    }

    /** Backends may not push (SETTINGS_ENABLE_PUSH is 0); a pushed stream that comes anyway is closed. Stateless. */
    @ChannelHandler.Sharable
    static final class NoPushedStreams extends ChannelInboundHandlerAdapter {
        static final NoPushedStreams INSTANCE = new NoPushedStreams();

        @Override
        public void channelRegistered(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }
}
