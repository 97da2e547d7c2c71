package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.concurrent.Future;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.l7.HttpFrontendHandler.State;
import io.pharos.proxy.l7.retry.ReplayBuffer;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;

/**
 * One try of an exchange's request on one backend (Envoy's {@code upstream_request}): it gets a channel
 * from {@link UpstreamChannels} (a pooled connection, a new one, or an HTTP/2 stream), writes the request
 * head and any replayed body, times the wait for the response head, and lets the channel go, back to the
 * pool or closed. It leases the channel's {@link HttpBackendHandler}, hands what the backend sends to its
 * {@link HttpExchange}, and accounts the backend's in-flight count and failures.
 *
 * <p>One per client connection, reused for every try. Loop-confined: every method runs on the client
 * channel's event loop, as does the backend channel.
 */
final class UpstreamTry {
    private final HttpExchange exchange;
    private final HttpFrontendHandler conn;
    private final ChannelHandlerContext ctx;
    private final ListenerContext listener;
    /** The exchange's copy of the body sent so far, written again on a retry. */
    private final ReplayBuffer replay;
    /** The wait for the response head of the current try, armed per try. */
    private final LazyTimer timer;

    // --- every field below is written on the loop by start() and the steps of the try
    /** Where this exchange's backend channels come from (HTTP/1.1 connections or HTTP/2 streams). */
    private UpstreamChannels channels;
    private ClusterConfig cluster;
    /** The request head to send; kept across tries of one exchange. */
    private HttpRequest request;
    /** The backend of this try, or null between tries. */
    private Backend backend;
    private Channel channel;
    private HttpBackendHandler handler;
    /** Whether the channel was taken from the pool (a failure before any byte may be a stale connection). */
    private boolean reused;
    private boolean staleRetried;
    /** The exchange {@link #timer} was armed for. */
    private int timerExchange;
    /** {@link System#nanoTime()} when {@link #timer} started: the backend latency sample (peak-ewma) runs from here. */
    private long sentNanos;

    UpstreamTry(HttpExchange exchange, HttpFrontendHandler conn, ChannelHandlerContext ctx, ListenerContext listener, ReplayBuffer replay) {
        this.exchange = exchange;
        this.replay = replay;
        this.conn = conn;
        this.ctx = ctx;
        this.listener = listener;
        this.timer = new LazyTimer(ctx.executor(), this::timerExpired);
    }

    /** Sends {@code head} to {@code target} on a channel from {@code via}; the target counts the request in flight from now. */
    void start(UpstreamChannels via, ClusterConfig cluster, Backend target, HttpRequest head) {
        assert ctx.executor().inEventLoop();
        this.channels = via;
        this.cluster = cluster;
        this.request = head;
        this.backend = target;
        target.onStart();
        staleRetried = false;
        conn.state(State.CONNECTING);
        connect();
    }

    private void connect() {
        Channel pooled = channels.acquire(backend, cluster);
        if (pooled != null) {
            reused = true;
            attach(pooled);
            return;
        }
        reused = false;
        final int id = exchange.id();
        final Backend target = backend;
        final UpstreamChannels via = channels;
        final ClusterConfig c = cluster;
        via.open(target, c).addListener((Future<Channel> future) -> {
            if (id != exchange.id() || conn.state() != State.CONNECTING || backend != target) {
                // the client went away or the exchange ended while connecting: keep the fresh connection
                if (future.isSuccess()) {
                    via.release(target, future.getNow(), c);
                }
                return;
            }
            if (future.isSuccess()) {
                attach(future.getNow());
            } else {
                exchange.onTryFailed("connect failed: " + ErrorResponses.describe(future.cause()), true);
            }
        });
    }

    private void attach(Channel ch) {
        channel = ch;
        handler = ch.pipeline().get(HttpBackendHandler.class);
        handler.lease(this, backend);
        if (!reused) {
            ProxyProtocol.sendHeader(ch, cluster.proxyProtocolSend(), ProxyProtocol.clientAddress(ctx.channel()), ctx.channel().localAddress());
        }
        ch.write(request, ch.voidPromise());
        // a retry: what earlier tries sent of the body (nothing on a first try)
        replay.writeTo(ch);
        exchange.onTryAttached();
        ch.flush();
        ch.read();
        conn.maybeReadClient();
    }

    /** Writes a piece of the request body; the last one is flushed. */
    void send(HttpContent content, boolean last) {
        channel.write(content, channel.voidPromise());
        if (last) {
            channel.flush();
        }
    }

    /** The whole request is sent: the response head is awaited for at most {@code timeoutNanos}. */
    void startTimer(long timeoutNanos) {
        sentNanos = System.nanoTime();
        timerExchange = exchange.id();
        timer.arm(timeoutNanos);
    }

    private void timerExpired() {
        if (timerExchange == exchange.id() && channel != null && !exchange.responseBegun()) {
            long now = System.nanoTime();
            backend.recordLatencyNanos(now - sentNanos, now);
            exchange.onTryTimeout(letGoFailed(true));
        }
    }

    /** A final response head came: records the backend's latency and health; returns the backend. */
    Backend onResponseHead(int status) {
        if (timer.isArmed()) {
            long now = System.nanoTime();
            backend.recordLatencyNanos(now - sentNanos, now);
            backend.stats().recordResponseTime(now - sentNanos);
        }
        timer.disarm();
        listener.health().onResponse(backend, status);
        return backend;
    }

    /**
     * The try failed before the response began. Returns null when it is tried again on a fresh connection
     * to the same backend (a stale pooled connection, when {@code staleAllowed}); else lets the backend go
     * as failed and returns it.
     */
    Backend failBeforeResponse(boolean staleAllowed) {
        if (staleAllowed && reused && !staleRetried) {
            Backend b = backend;
            detach(false);
            staleRetried = true;
            backend = b;
            conn.state(State.CONNECTING);
            reused = false;
            connect();
            return null;
        }
        return letGoFailed(true);
    }

    /** The try failed after its response head was taken (cut short, or a 502/503/504 to retry): closes the channel. */
    void fail() {
        letGoFailed(false);
    }

    /**
     * Closes the try's channel and lets its backend go as failed; {@code local} when the failure was seen
     * here (connect, reset, timeout) rather than answered by the backend, which the passive checks count too.
     */
    private Backend letGoFailed(boolean local) {
        Backend b = backend;
        detach(false);
        b.stats().onFailure();
        b.onEnd();
        if (local) {
            listener.health().onLocalFailure(b);
        }
        return b;
    }

    /** The exchange completed: the channel goes back to the pool if {@code reuse}, else is closed. */
    void finish(boolean reuse) {
        Backend b = backend;
        detach(reuse);
        b.onEnd();
    }

    /** The backend switched protocols: returns the channel, no longer leased, for the byte relay. */
    Channel handOver() {
        timer.disarm();
        Channel ch = channel;
        handler.unlease();
        channel = null;
        handler = null;
        backend = null;
        return ch;
    }

    /** The client connection closed: the backend connection, if any, is in an unknown state and closes. */
    void clientClosed() {
        timer.stop();
        drop();
    }

    /** The proxy refused the exchange: the try, if any, is let go without blaming its backend; its channel closes. */
    void drop() {
        Backend b = backend;
        if (b != null) {
            detach(false);
            b.onEnd();
        }
    }

    private void detach(boolean reuse) {
        timer.disarm();
        Channel ch = channel;
        if (ch != null) {
            handler.unlease();
            if (reuse) {
                channels.release(backend, ch, cluster);
            } else {
                ch.close();
            }
        }
        channel = null;
        handler = null;
        backend = null;
    }

    Backend backend() {
        return backend;
    }

    HttpRequest request() {
        return request;
    }

    UpstreamChannels channels() {
        return channels;
    }

    void flush() {
        if (channel != null) {
            channel.flush();
        }
    }

    void read() {
        if (channel != null) {
            channel.read();
        }
    }

    boolean isWritable() {
        return channel != null && channel.isWritable();
    }

    // ------------------------------------------------------------------ from the leased channel's HttpBackendHandler

    void onBackendMessage(Object msg) {
        exchange.onBackendMessage(msg);
    }

    void onBackendReadComplete() {
        ctx.flush();
        if (channel != null && ctx.channel().isWritable() && !exchange.holding()) {
            channel.read();
        }
    }

    void onBackendWritable() {
        conn.maybeReadClient();
    }

    void onBackendClosed(Throwable cause) {
        exchange.onBackendClosed(cause);
    }
}
