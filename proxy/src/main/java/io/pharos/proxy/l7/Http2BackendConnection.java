package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection to a backend and the streams on it, in a {@link Http2BackendPool}; also the
 * last handler of the connection's pipeline. It is usable once the backend's SETTINGS arrived (and, over
 * TLS, ALPN chose {@code h2}); until then, exchanges that chose it wait in {@link #waiters}. It opens at
 * most SETTINGS_MAX_CONCURRENT_STREAMS streams at a time (and at most
 * {@link Http2BackendPool#MAX_STREAMS_PER_CONNECTION}); after a GOAWAY, or when its backend is removed
 * by a reload, it opens none and closes when its last stream ends.
 *
 * <p>Loop-confined: every method runs on the pool's event loop.
 */
final class Http2BackendConnection extends ChannelInboundHandlerAdapter {
    enum State { CONNECTING, READY, CLOSING }

    private final Http2BackendPool pool;
    private final Backend backend;
    private final ClusterConfig cluster;
    /** Exchanges waiting for a stream on this connection (only before it is ready). */
    private final ArrayDeque<Promise<Channel>> waiters = new ArrayDeque<>();
    /** Set once by {@link #attach} on the loop, right after the connect started. */
    private Channel channel;
    /** Opens streams; set by {@link #attach}. */
    private Http2StreamChannelBootstrap streams;
    /** Loop-confined. */
    private State state = State.CONNECTING;
    /** Streams it may carry at a time: the backend's SETTINGS_MAX_CONCURRENT_STREAMS once known; loop-confined. */
    private int limit;
    /** Streams opened and not yet closed; loop-confined. */
    private int open;
    /** {@link System#nanoTime()} when {@link #open} last fell to 0; loop-confined. */
    private long idleSinceNanos;
    /** Closes the connection if it is not ready within the connect timeout; loop-confined. */
    private ScheduledFuture<?> readyTimer;

    /** @param assumedLimit streams to expect before the backend's SETTINGS say (what it said last time) */
    Http2BackendConnection(Http2BackendPool pool, Backend backend, ClusterConfig cluster, int assumedLimit) {
        if (assumedLimit < 1) {
            throw new IllegalArgumentException("assumedLimit: " + assumedLimit + " (expected: >= 1)");
        }
        this.pool = pool;
        this.backend = backend;
        this.cluster = cluster;
        this.limit = assumedLimit;
        this.idleSinceNanos = System.nanoTime();
    }

    /** Binds the connection's channel and starts the readiness timer (the cluster's connect timeout). */
    void attach(Channel ch, Http2StreamChannelBootstrap bootstrap) {
        this.channel = ch;
        this.streams = bootstrap;
        long ms = cluster.timeouts().connect().toMillis();
        readyTimer = pool.loop().schedule(() -> {
            if (state == State.CONNECTING) {
                fail(new ConnectTimeoutException("backend " + backend.name() + " sent no HTTP/2 SETTINGS within " + ms + " ms"));
            }
        }, ms, TimeUnit.MILLISECONDS);
    }

    Backend backend() {
        return backend;
    }

    ClusterConfig cluster() {
        return cluster;
    }

    State state() {
        return state;
    }

    /** Exchanges this connection can still take: free streams less those already waiting; 0 once closing. */
    int room() {
        return state == State.CLOSING ? 0 : Math.max(0, limit - open - waiters.size());
    }

    /** Gives {@code p} a stream now if the connection is ready and has one free, else queues it until ready. */
    void assign(Promise<Channel> p) {
        if (state == State.CLOSING) {
            p.tryFailure(new UnprocessedStreamException("connection to backend " + backend.name() + " is closing"));
        } else if (state == State.READY && open < limit) {
            openStream(p);
        } else {
            waiters.add(p);
        }
    }

    private void openStream(Promise<Channel> p) {
        open++;
        backend.stats().onH2Stream();
        streams.open().addListener((Future<Http2StreamChannel> f) -> {
            if (f.isSuccess()) {
                Http2StreamChannel s = f.getNow();
                s.closeFuture().addListener(x -> onStreamClosed());
                if (!p.trySuccess(s)) {
                    s.close();
                }
            } else {
                onStreamClosed();
                p.tryFailure(f.cause());
            }
        });
    }

    private void onStreamClosed() {
        open--;
        if (open == 0) {
            idleSinceNanos = System.nanoTime();
            if (state == State.CLOSING) {
                channel.close();
                return;
            }
        }
        serveWaiters();
    }

    private void serveWaiters() {
        while (state == State.READY && open < limit && !waiters.isEmpty()) {
            openStream(waiters.poll());
        }
    }

    /** The backend's SETTINGS: the stream limit is now known; the first ones make the connection ready. */
    void onSettings(Long maxConcurrentStreams) {
        limit = maxConcurrentStreams == null ? Http2BackendPool.MAX_STREAMS_PER_CONNECTION
                : (int) Math.min(Http2BackendPool.MAX_STREAMS_PER_CONNECTION, Math.max(1, maxConcurrentStreams));
        pool.learnLimit(backend, limit);
        if (state == State.CONNECTING) {
            state = State.READY;
            if (readyTimer != null) {
                readyTimer.cancel(false);
            }
        }
        serveWaiters();
        if (state == State.READY && !waiters.isEmpty()) {
            // more exchanges chose this connection than the backend allows on it: they go elsewhere
            ArrayDeque<Promise<Channel>> excess = new ArrayDeque<>(waiters);
            waiters.clear();
            for (Promise<Channel> p : excess) {
                pool.dispatch(backend, cluster, p);
            }
        }
    }

    /** No new streams from now on; closes at once when none is open. */
    void retire() {
        if (state == State.CLOSING) {
            return;
        }
        state = State.CLOSING;
        failWaiters(new UnprocessedStreamException("connection to backend " + backend.name() + " is closing"));
        if (open == 0 && channel != null) {
            channel.close();
        }
    }

    /** Closes the connection if it carried no stream for {@code idleNanos}; returns whether it did. */
    boolean closeIfIdle(long nowNanos) {
        long idleNanos = cluster.timeouts().idle().toNanos();
        if (state == State.READY && open == 0 && waiters.isEmpty() && nowNanos - idleSinceNanos >= idleNanos) {
            retire();
            return true;
        }
        return false;
    }

    /** The connection could not be set up (connect, TLS, ALPN, SETTINGS) or was lost: waiters fail, it leaves the pool. */
    void fail(Throwable cause) {
        if (readyTimer != null) {
            readyTimer.cancel(false);
        }
        state = State.CLOSING;
        failWaiters(cause);
        pool.remove(this);
        if (channel != null) {
            channel.close();
        }
    }

    private void failWaiters(Throwable cause) {
        Promise<Channel> p;
        while ((p = waiters.poll()) != null) {
            p.tryFailure(cause);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // the codec sent its preface before this runs; the connection window grows to fit every stream's window
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(Http2BackendPool.CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE),
                ctx.voidPromise());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame settings) {
                onSettings(settings.settings().maxConcurrentStreams());
            } else if (msg instanceof Http2GoAwayFrame) {
                // streams above its last stream id were told by the multiplexer; the others finish
                retire();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent hs) {
            if (!hs.isSuccess()) {
                fail(hs.cause());
            } else {
                String chosen = ctx.pipeline().get(SslHandler.class).applicationProtocol();
                if (!ApplicationProtocolNames.HTTP_2.equals(chosen)) {
                    fail(new IOException("backend " + backend.name() + " did not choose h2 by ALPN (chose: "
                            + (chosen == null ? "none" : chosen) + ")"));
                }
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        fail(new IOException("HTTP/2 connection to backend " + backend.name() + " closed"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(cause);
    }
}
