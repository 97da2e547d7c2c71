package io.pharos.proxy.l7;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.BackendByteCounter;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.UpstreamProtocol;
import io.pharos.proxy.config.PharosConfig.UpstreamTlsConfig;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;

import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive HTTP/1.1 connections to backends, for one event loop. Every method runs on that loop:
 * client connections on this loop lease connections here, so a request never hops threads. Idle
 * connections are reused last-in first-out (warm ones first) and evicted after their idle timeout, or
 * at once when their backend was removed by a reload. The loop's HTTP/2 backend connections
 * ({@link Http2BackendPool}) live beside it; {@link #channelsFor} picks by the cluster's protocol.
 */
public final class BackendConnectionPool implements UpstreamChannels {
    static final String CODEC = "codec";
    static final String HANDLER = "backend";
    static final String TLS = "upstream-tls";
    private static final AttributeKey<Long> IDLE_DEADLINE = AttributeKey.valueOf("pharos.idleDeadline");
    private static final long SWEEP_MILLIS = 1000;

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    /** Client TLS for clusters with upstream-tls; null when no cluster may use it. */
    private final UpstreamTls upstreamTls;
    private final Map<Backend, ArrayDeque<Channel>> idle = new IdentityHashMap<>();
    private final Http2BackendPool h2;
    /** Set once on the loop by {@link #start()}; cancelled by {@link #close()}. */
    private ScheduledFuture<?> sweeper;

    public BackendConnectionPool(EventLoop loop, Transport transport) {
        this(loop, transport, null);
    }

    public BackendConnectionPool(EventLoop loop, Transport transport, UpstreamTls upstreamTls) {
        this.loop = loop;
        this.upstreamTls = upstreamTls;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.socketChannel())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
        this.h2 = new Http2BackendPool(loop, transport, upstreamTls);
    }

    /**
     * The channels for an exchange with {@code cluster}: HTTP/2 streams for {@code protocol = h2}, except
     * for an Upgrade (WebSocket) request, which needs an HTTP/1.1 connection of its own; else this pool.
     */
    UpstreamChannels channelsFor(ClusterConfig cluster, boolean upgrade) {
        return cluster.protocol() == UpstreamProtocol.H2 && !upgrade ? h2 : this;
    }

    public EventLoop loop() {
        return loop;
    }

    public void start() {
        loop.execute(() -> sweeper = loop.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS));
        h2.start();
    }

    /** An idle connection to {@code backend}, or {@code null}. Loop only. */
    @Override
    public Channel acquire(Backend backend, ClusterConfig cluster) {
        assert loop.inEventLoop();
        ArrayDeque<Channel> dq = idle.get(backend);
        if (dq == null) {
            return null;
        }
        Channel ch;
        while ((ch = dq.pollLast()) != null) {
            if (ch.isActive()) {
                return ch;
            }
        }
        return null;
    }

    /** A new connection to {@code backend} with the cluster's connect timeout and TLS. Loop only. */
    @Override
    public Future<Channel> open(Backend backend, ClusterConfig cluster) {
        ChannelFuture f = connect(backend, cluster.timeouts().connect().toMillis(), cluster.upstreamTls());
        Promise<Channel> p = loop.newPromise();
        f.addListener(done -> {
            if (done.isSuccess()) {
                p.setSuccess(f.channel());
            } else {
                p.setFailure(done.cause());
            }
        });
        return p;
    }

    /** Opens a new connection to {@code backend}, over TLS when {@code tls} is present. Loop only. */
    ChannelFuture connect(Backend backend, long connectTimeoutMillis, Optional<UpstreamTlsConfig> tls) {
        assert loop.inEventLoop();
        backend.stats().onConnectionOpened();
        ChannelFuture f = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeoutMillis))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(BackendByteCounter.NAME, backend.byteCounter());
                        if (tls.isPresent()) {
                            if (upstreamTls == null) {
                                throw new IllegalStateException("upstream TLS requested but not configured for this pool");
                            }
                            ch.pipeline().addLast(TLS, upstreamTls.newHandler(tls.get(), backend, ch.alloc()));
                        }
                        ch.pipeline().addLast(CODEC, new HttpClientCodec(
                                HttpLimits.decoderConfig(8192, 64 * 1024), false, false));
                        ch.pipeline().addLast(HANDLER, new HttpBackendHandler(BackendConnectionPool.this::onIdleClosed));
                    }
                })
                .connect(backend.socketAddress());
        backend.connections().add(f.channel());
        return f;
    }

    /** Takes back a connection whose exchange completed cleanly; it is kept for the cluster's idle timeout. Loop only. */
    @Override
    public void release(Backend backend, Channel ch, ClusterConfig cluster) {
        assert loop.inEventLoop();
        long idleMillis = cluster.timeouts().idle().toMillis();
        if (backend.isRemoved() || !ch.isActive() || sweeper == null) {
            ch.close();
            return;
        }
        ch.attr(IDLE_DEADLINE).set(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(idleMillis));
        idle.computeIfAbsent(backend, b -> new ArrayDeque<>()).addLast(ch);
        // keep one read pending so a close by the backend is seen while the connection idles
        ch.read();
    }

    /** An idle connection closed by its backend. Loop only. */
    void onIdleClosed(Backend backend, Channel ch) {
        ArrayDeque<Channel> dq = idle.get(backend);
        if (dq != null) {
            dq.remove(ch);
        }
    }

    /** Number of idle pooled connections (loop only; for tests and metrics). */
    public int idleCount() {
        int n = 0;
        for (ArrayDeque<Channel> dq : idle.values()) {
            n += dq.size();
        }
        return n;
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Backend, ArrayDeque<Channel>>> it = idle.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Backend, ArrayDeque<Channel>> e = it.next();
            boolean removed = e.getKey().isRemoved();
            for (Iterator<Channel> ci = e.getValue().iterator(); ci.hasNext(); ) {
                Channel ch = ci.next();
                Long deadline = ch.attr(IDLE_DEADLINE).get();
                if (removed || !ch.isActive() || (deadline != null && now - deadline >= 0)) {
                    ci.remove();
                    ch.close();
                }
            }
            if (e.getValue().isEmpty()) {
                it.remove();
            }
        }
    }

    /** Closes every idle connection (and every HTTP/2 connection) and stops sweeping. Loop only. */
    public void close() {
        assert loop.inEventLoop();
        h2.close();
        if (sweeper != null) {
            sweeper.cancel(false);
            sweeper = null;
        }
        for (ArrayDeque<Channel> dq : idle.values()) {
            for (Channel ch : dq) {
                ch.close();
            }
        }
        idle.clear();
    }
}
