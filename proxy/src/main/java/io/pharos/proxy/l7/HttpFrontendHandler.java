package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.health.ReplayBuffer;
import io.pharos.proxy.health.RetryPolicy;
import io.pharos.proxy.cluster.PickContext;
import io.pharos.proxy.metrics.LatencyHistogram;
import io.pharos.proxy.proxyprotocol.ProxyProtocol;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * The client side of one HTTP/1.1 connection, and the exchange in flight on it. It picks a backend per
 * request, leases a pooled connection on its own event loop (or opens one there; for a cluster with
 * {@code protocol = h2}, a stream on a shared HTTP/2 connection: see {@link UpstreamChannels}), and streams the
 * request and the response through with backpressure: each side is read only while the other side can
 * take more. One exchange at a time per connection; pipelined requests wait in {@link #inbound}.
 *
 * <p>Loop-confined: every method runs on the client channel's event loop, as do the backend channels it uses.
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter {
    private enum State { WAIT_HEAD, CONNECTING, SENDING_BODY, AWAIT_RESPONSE, CLOSING }

    private final ListenerContext listener;
    private final BackendConnectionPool pool;
    private final PickContext pick = new PickContext();
    /** Decoded client messages not yet handled (body while connecting, pipelined requests). */
    private final ArrayDeque<Object> inbound = new ArrayDeque<>();

    private ChannelHandlerContext ctx;
    private HeaderReadTimeoutHandler headTimeout;
    private ProxyResponseEncoder encoder;
    private State state = State.WAIT_HEAD;
    /** The client (as announced by a PROXY header, else the peer) and its IP literal; set on the first request. */
    private SocketAddress clientAddress;
    private String clientIp;
    /** This loop's latency recorder; set once in handlerAdded. */
    private LatencyHistogram.Sink latency;

    // --- the exchange in flight; all loop-confined, reset by startExchange/endExchange ---
    /** Increments per exchange; a callback from an older exchange compares and gives up. */
    private int exchangeId;
    private ClusterConfig clusterConfig;
    private HttpRequest requestHead;
    /** The client's request head of this exchange and when it arrived (metrics, access log). */
    private HttpRequest exchangeRequest;
    private long exchangeStartNanos;
    private boolean requestHasBody;
    private boolean requestComplete;
    private boolean clientKeepAlive;
    private boolean headRequest;
    /** Where this exchange's backend channels come from (HTTP/1.1 connections or HTTP/2 streams); set by startExchange. */
    private UpstreamChannels upstream;
    private Backend backend;
    private Channel backendChannel;
    private HttpBackendHandler backendHandler;
    /** Whether the backend connection was taken from the pool (a failure before any byte may be a stale connection). */
    private boolean reusedConnection;
    private boolean staleRetried;
    private boolean responseStarted;
    private boolean informational;
    private boolean responseReusable;
    private boolean closeAfterResponse;
    /** Whether the client waits for 100 Continue before sending its body. */
    private boolean expectContinue;
    /** Whether the client spoke HTTP/1.0 (the head sent on is rewritten to 1.1, so this is kept aside). */
    private boolean clientHttp10;
    /** The client's {@code Upgrade} header when it asked to switch protocols (HTTP/1.1 connections only), else null. */
    private String upgrade;
    /** The wait for the response head of the current try; set once in handlerAdded, armed per try. */
    private LazyTimer requestTimer;
    /** The exchange {@link #requestTimer} was armed for. */
    private int requestTimerExchange;
    /** {@link System#nanoTime()} when {@link #requestTimer} started: the backend latency sample (peak-ewma) runs from here. */
    private long requestSentNanos;
    /** Body pieces sent so far, kept (up to {@code retries.replay-buffer}) for a retry on another backend. */
    private final ReplayBuffer replay = new ReplayBuffer();
    /** Tries of the current request so far, connect failures included. */
    private int tries;
    private boolean idempotent;
    /** Whether the exchange holds a slot of its cluster's retry budget (released when it ends). */
    private boolean holdsRetrySlot;
    /** Whether {@link #requestDeadlineNanos} is set: from when the first try's request was complete. */
    private boolean deadlineSet;
    /** The end of the request timeout, on the loop's ticker; shared by all tries of the request. */
    private long requestDeadlineNanos;

    HttpFrontendHandler(ListenerContext listener, BackendConnectionPool pool) {
        this.listener = listener;
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.headTimeout = ctx.pipeline().get(HeaderReadTimeoutHandler.class);
        this.encoder = ctx.pipeline().get(ProxyResponseEncoder.class);
        this.latency = listener.metrics().latencySink(ctx.channel().eventLoop());
        this.requestTimer = new LazyTimer(ctx.executor(), this::requestTimerExpired);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state == State.CLOSING) {
            ReferenceCountUtil.release(msg);
            if (encoder == null) {
                ctx.read();
            }
            return;
        }
        inbound.add(msg);
        drain();
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (backendChannel != null) {
            backendChannel.flush();
        }
        maybeReadClient();
    }

    /** Handles queued client messages as far as the state allows. */
    private void drain() {
        Object m;
        while ((m = inbound.peek()) != null) {
            switch (state) {
                case WAIT_HEAD -> {
                    inbound.poll();
                    if (m instanceof HttpRequest req) {
                        startExchange(req);
                    } else {
                        // content of a request we already answered without forwarding
                        ReferenceCountUtil.release(m);
                    }
                }
                case SENDING_BODY -> {
                    inbound.poll();
                    forwardBody((HttpContent) m);
                }
                case CONNECTING, AWAIT_RESPONSE -> {
                    return;
                }
                case CLOSING -> {
                    inbound.poll();
                    ReferenceCountUtil.release(m);
                }
            }
        }
    }

    private void maybeReadClient() {
        if (!inbound.isEmpty()) {
            return;
        }
        if (state == State.WAIT_HEAD || (state == State.SENDING_BODY && backendChannel.isWritable())) {
            ctx.read();
        }
    }

    // ------------------------------------------------------------------ request side

    private void startExchange(HttpRequest req) {
        exchangeId++;
        exchangeRequest = req;
        exchangeStartNanos = listener.metrics().nanoTime();
        // the previous exchange's response is complete: a rejection of this request must still be answered
        responseStarted = false;
        if (req.decoderResult().isFailure()) {
            Throwable cause = req.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongFrameException ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : HttpResponseStatus.BAD_REQUEST;
            rejectAndClose(status, cause == null ? "malformed request" : cause.getMessage());
            return;
        }
        String problem = RequestValidator.problem(req);
        if (problem != null) {
            rejectAndClose(HttpResponseStatus.BAD_REQUEST, problem);
            return;
        }
        String expect = req.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
            rejectAndClose(HttpResponseStatus.EXPECTATION_FAILED, "unsupported Expect: " + req.headers().get(HttpHeaderNames.EXPECT));
            return;
        }
        if (headTimeout != null) {
            headTimeout.headReceived();
        }
        HttpHeaders h = req.headers();
        // 100-continue is answered here once a backend connection is ready (as Envoy does), not by the backend
        expectContinue = HttpUtil.is100ContinueExpected(req);
        h.remove(HttpHeaderNames.EXPECT);
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        requestHasBody = chunked || HttpUtil.getContentLength(req, 0L) > 0;
        clientKeepAlive = HttpUtil.isKeepAlive(req) && !listener.isClosing();
        headRequest = HttpMethod.HEAD.equals(req.method());
        requestComplete = false;
        informational = false;
        responseReusable = false;
        closeAfterResponse = false;
        staleRetried = false;

        clientHttp10 = req.protocolVersion().equals(HttpVersion.HTTP_1_0);
        upgrade = encoder != null && !clientHttp10 && h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                ? h.get(HttpHeaderNames.UPGRADE) : null;
        HeaderRewriter.removeHopByHop(h);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (upgrade != null) {
            // the one hop-by-hop header passed on: the backend decides whether to switch (WebSocket)
            h.set(HttpHeaderNames.UPGRADE, upgrade);
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
        if (clientAddress == null) {
            // fixed for the connection's life (a PROXY header, if any, came before the first request)
            clientAddress = ProxyProtocol.clientAddress(ctx.channel());
            clientIp = HeaderRewriter.clientIp(clientAddress);
        }
        SocketAddress client = clientAddress;
        HeaderRewriter.addForwarded(h, clientIp, listener.tls());
        req.setProtocolVersion(HttpVersion.HTTP_1_1);

        ClusterSnapshot snapshot = listener.cluster().snapshot();
        clusterConfig = snapshot.config();
        upstream = pool.channelsFor(clusterConfig, upgrade != null);
        endRetries();
        replay.reset(clusterConfig.retries().replayBuffer());
        tries = 1;
        idempotent = RetryPolicy.isIdempotent(req.method());
        deadlineSet = false;
        Backend picked = snapshot.loadBalancer().pick(pick.reset(h, client));
        if (picked == null) {
            respondError(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy backend in cluster " + snapshot.name(), false);
            return;
        }
        requestHead = req;
        state = State.CONNECTING;
        pick.addTried(picked);
        backend = picked;
        picked.onStart();
        connect();
    }

    private void connect() {
        Channel pooled = upstream.acquire(backend, clusterConfig);
        if (pooled != null) {
            reusedConnection = true;
            attach(pooled);
            return;
        }
        reusedConnection = false;
        final int id = exchangeId;
        final Backend target = backend;
        final UpstreamChannels via = upstream;
        final ClusterConfig cluster = clusterConfig;
        via.open(target, cluster).addListener((Future<Channel> future) -> {
            if (id != exchangeId || state != State.CONNECTING || backend != target) {
                // the client went away or the exchange ended while connecting: keep the fresh connection
                if (future.isSuccess()) {
                    via.release(target, future.getNow(), cluster);
                }
                return;
            }
            if (future.isSuccess()) {
                attach(future.getNow());
            } else {
                onBackendFailure("connect failed: " + describe(future.cause()), true);
            }
        });
    }

    private void attach(Channel ch) {
        backendChannel = ch;
        backendHandler = ch.pipeline().get(HttpBackendHandler.class);
        backendHandler.lease(this, backend);
        if (!reusedConnection) {
            ProxyProtocol.sendHeader(ch, clusterConfig.proxyProtocolSend(), ProxyProtocol.clientAddress(ctx.channel()), ctx.channel().localAddress());
        }
        ch.write(requestHead, ch.voidPromise());
        // a retry: what earlier tries sent of the body (nothing on a first try)
        replay.writeTo(ch);
        if (requestComplete) {
            state = State.AWAIT_RESPONSE;
            startRequestTimer();
        } else {
            state = State.SENDING_BODY;
            if (expectContinue) {
                expectContinue = false;
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE), ctx.voidPromise());
            }
            drain();
        }
        ch.flush();
        ch.read();
        maybeReadClient();
    }

    private void forwardBody(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        backend.stats().addBytesSent(content.content().readableBytes());
        replay.add(content);
        backendChannel.write(content, backendChannel.voidPromise());
        if (last) {
            requestComplete = true;
            backendChannel.flush();
            if (state == State.SENDING_BODY) {
                state = State.AWAIT_RESPONSE;
            }
            if (!responseStarted) {
                startRequestTimer();
            }
        }
    }

    /** Bounds the wait for the response head: the rest of the request timeout, or less if a retry could follow. */
    private void startRequestTimer() {
        requestSentNanos = System.nanoTime();
        long now = ctx.executor().ticker().nanoTime();
        long total = clusterConfig.timeouts().request().toNanos();
        if (!deadlineSet) {
            deadlineSet = true;
            requestDeadlineNanos = now + total;
        }
        boolean retriable = RetryPolicy.mayRetry(clusterConfig.retries(), idempotent, replay.isReplayable(), tries)
                && listener.cluster().snapshot().usableCount() > pick.triedCount();
        long timeout = RetryPolicy.tryTimeoutNanos(clusterConfig.retries(), total, requestDeadlineNanos - now, retriable);
        requestTimerExchange = exchangeId;
        requestTimer.arm(timeout);
    }

    private void requestTimerExpired() {
        if (requestTimerExchange == exchangeId && backendChannel != null && !responseStarted) {
            onBackendTimeout();
        }
    }

    private void cancelRequestTimer() {
        requestTimer.disarm();
    }

    // ------------------------------------------------------------------ response side (called by HttpBackendHandler)

    void onBackendMessage(Object msg) {
        if (msg instanceof HttpResponse resp) {
            onResponseHead(resp);
            if (msg instanceof HttpContent c) {
                onResponseContent(c);
            }
        } else if (msg instanceof HttpContent c) {
            onResponseContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponseHead(HttpResponse resp) {
        if (resp.decoderResult().isFailure()) {
            onBackendFailure("malformed response: " + describe(resp.decoderResult().cause()), false);
            return;
        }
        int code = resp.status().code();
        if (code >= 100 && code < 200) {
            if (code == 101) {
                if (upgrade != null && requestComplete) {
                    switchProtocols(resp);
                } else {
                    onBackendFailure("unexpected 101 Switching Protocols", false);
                }
                return;
            }
            informational = true;
            HeaderRewriter.removeHopByHop(resp.headers());
            ctx.write(resp, ctx.voidPromise());
            return;
        }
        if (requestTimer.isArmed()) {
            long now = System.nanoTime();
            backend.recordLatencyNanos(now - requestSentNanos, now);
            backend.stats().recordResponseTime(now - requestSentNanos);
        }
        cancelRequestTimer();
        listener.health().onResponse(backend, code);
        if (RetryPolicy.isRetriableStatus(code) && retryAfterStatus(code)) {
            return;
        }
        responseStarted = true;
        listener.metrics().onResponse(latency, exchangeRequest, backend, code, exchangeStartNanos);
        replay.clear();
        HttpHeaders h = resp.headers();
        boolean backendKeepAlive = HttpUtil.isKeepAlive(resp);
        boolean chunked = HttpUtil.isTransferEncodingChunked(resp);
        boolean hasLength = h.contains(HttpHeaderNames.CONTENT_LENGTH);
        boolean bodyless = headRequest || code == 204 || code == 304;
        responseReusable = backendKeepAlive && (bodyless || chunked || hasLength);
        HeaderRewriter.removeHopByHop(h);
        if (!bodyless && !hasLength) {
            if (clientKeepAlive && !clientHttp10) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                closeAfterResponse = true;
            }
        } else if (chunked && !bodyless) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (!requestComplete) {
            // the backend answered before the whole request body arrived: the rest can't be read past safely
            closeAfterResponse = true;
        }
        if (listener.isClosing()) {
            clientKeepAlive = false;
        }
        if (!clientKeepAlive || closeAfterResponse) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientHttp10) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        resp.setProtocolVersion(HttpVersion.HTTP_1_1);
        if (encoder != null) {
            encoder.setHeadRequest(headRequest);
        }
        ctx.write(resp, ctx.voidPromise());
    }

    /** The backend agreed to the client's Upgrade: pass the 101 on and turn both connections into a byte relay. */
    private void switchProtocols(HttpResponse resp) {
        cancelRequestTimer();
        listener.health().onResponse(backend, resp.status().code());
        endRetries();
        responseStarted = true;
        Channel bc = backendChannel;
        Backend b = backend;
        backendHandler.unlease();
        backendChannel = null;
        backendHandler = null;
        backend = null;
        requestHead = null;
        state = State.CLOSING;
        drain();
        encoder.setHeadRequest(false);
        ctx.writeAndFlush(resp, ctx.voidPromise());
        UpgradeRelay.start(ctx.channel(), bc, b);
    }

    private void onResponseContent(HttpContent content) {
        if (informational) {
            if (content instanceof LastHttpContent) {
                informational = false;
                ctx.writeAndFlush(content, ctx.voidPromise());
            } else {
                ReferenceCountUtil.release(content);
            }
            return;
        }
        if (!responseStarted) {
            ReferenceCountUtil.release(content);
            return;
        }
        backend.stats().addBytesReceived(content.content().readableBytes());
        if (content instanceof LastHttpContent) {
            ctx.write(content, ctx.voidPromise());
            completeExchange();
        } else {
            ctx.write(content, ctx.voidPromise());
        }
    }

    void onBackendReadComplete() {
        ctx.flush();
        if (backendChannel != null && ctx.channel().isWritable()) {
            backendChannel.read();
        }
    }

    void onBackendWritable() {
        maybeReadClient();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && backendChannel != null) {
            backendChannel.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** The backend connection closed or failed while this exchange used it. */
    void onBackendClosed(Throwable cause) {
        if (cause instanceof UnprocessedStreamException && !responseStarted && replay.isReplayable()) {
            // the backend did not process the stream (GOAWAY past it, REFUSED_STREAM): as safe to retry as a connect failure
            onBackendFailure(describe(cause), true);
            return;
        }
        if (responseStarted) {
            // a response cut short: the client must see the truncation, so its connection closes too
            Backend b = backend;
            detachBackend(false);
            b.stats().onFailure();
            b.onEnd();
            closeNow();
            return;
        }
        onBackendFailure(cause == null ? "connection closed before a response" : describe(cause), false);
    }

    private void onBackendTimeout() {
        Backend b = backend;
        long now = System.nanoTime();
        b.recordLatencyNanos(now - requestSentNanos, now);
        HttpRequest head = requestHead;
        detachBackend(false);
        b.stats().onFailure();
        b.onEnd();
        listener.health().onLocalFailure(b);
        requestHead = head;
        if (retryElsewhere(false)) {
            return;
        }
        respondError(HttpResponseStatus.GATEWAY_TIMEOUT, "backend " + b.name() + " did not answer in time (request timeout "
                + clusterConfig.timeouts().request().toMillis() + " ms)", !requestComplete);
    }

    /**
     * A 502/503/504 head arrived from the backend: if the request may go to another backend, drops this
     * answer (and the connection it came on) and retries; returns false when the answer goes to the client.
     */
    private boolean retryAfterStatus(int code) {
        Backend next = informational ? null : nextBackend(false);
        if (next == null) {
            return false;
        }
        Backend b = backend;
        HttpRequest head = requestHead;
        detachBackend(false);
        b.stats().onFailure();
        b.onEnd();
        requestHead = head;
        tryOn(next);
        return true;
    }

    /**
     * A failure before any response byte reached the client: a connect failure, or the backend closed,
     * reset or sent garbage. A stale pooled connection is retried once on a fresh connection when the
     * request had no body; otherwise 502.
     */
    private void onBackendFailure(String reason, boolean connectFailure) {
        cancelRequestTimer();
        Backend b = backend;
        HttpRequest head = requestHead;
        boolean stale = !connectFailure && reusedConnection && !requestHasBody && !staleRetried && !informational;
        detachBackend(false);
        if (stale && ctx.channel().isActive()) {
            staleRetried = true;
            backend = b;
            requestHead = head;
            state = State.CONNECTING;
            reusedConnection = false;
            connect();
            return;
        }
        b.stats().onFailure();
        b.onEnd();
        listener.health().onLocalFailure(b);
        requestHead = head;
        if (!informational && retryElsewhere(connectFailure)) {
            return;
        }
        respondError(HttpResponseStatus.BAD_GATEWAY, "backend " + b.name() + ": " + reason, !requestComplete);
    }

    /** Whether a failed try (not a connect failure) may go to another backend: retry rules, time left, budget. */
    private boolean mayRetryElsewhere() {
        if (!ctx.channel().isActive()
                || !RetryPolicy.mayRetry(clusterConfig.retries(), idempotent, replay.isReplayable(), tries)
                || (deadlineSet && ctx.executor().ticker().nanoTime() - requestDeadlineNanos >= 0)) {
            return false;
        }
        if (!holdsRetrySlot) {
            holdsRetrySlot = listener.health().retryBudget(listener.cluster().name()).tryAcquire(listener.cluster().snapshot());
        }
        return holdsRetrySlot;
    }

    /**
     * Sends the request ({@link #requestHead}, kept by the caller) to a backend it has not tried yet.
     * Connect failures always qualify; other failures when {@link #mayRetryElsewhere()}. Returns false
     * when there is no such backend or the rules say no: the caller answers the error.
     */
    private boolean retryElsewhere(boolean connectFailure) {
        Backend next = nextBackend(connectFailure);
        if (next == null) {
            return false;
        }
        tryOn(next);
        return true;
    }

    /** The backend for another try, or null when the rules or the cluster allow none. */
    private Backend nextBackend(boolean connectFailure) {
        if (!ctx.channel().isActive() || tries >= PickContext.MAX_TRIES
                || (!connectFailure && !mayRetryElsewhere())) {
            return null;
        }
        return listener.cluster().snapshot().loadBalancer().pick(pick);
    }

    private void tryOn(Backend next) {
        tries++;
        next.stats().onRetry();
        pick.addTried(next);
        backend = next;
        next.onStart();
        staleRetried = false;
        state = State.CONNECTING;
        connect();
    }

    /** The exchange ends: drops the replay copies and gives back the retry slot. */
    private void endRetries() {
        replay.clear();
        if (holdsRetrySlot) {
            holdsRetrySlot = false;
            listener.health().retryBudget(listener.cluster().name()).release();
        }
    }

    private void completeExchange() {
        endRetries();
        Backend b = backend;
        // a connection that began with a PROXY header speaks for one client only
        boolean reuse = requestComplete && responseReusable && clusterConfig.proxyProtocolSend() == PharosConfig.ProxyProtocolVersion.NONE;
        detachBackend(reuse);
        b.onEnd();
        if (closeAfterResponse || !clientKeepAlive) {
            closeAfterFlush();
            return;
        }
        ctx.flush();
        state = State.WAIT_HEAD;
        if (headTimeout != null) {
            headTimeout.expectHead();
        }
        drain();
        maybeReadClient();
    }

    /** Lets go of the backend connection: back to the pool if {@code reuse}, else closed. */
    private void detachBackend(boolean reuse) {
        cancelRequestTimer();
        Channel ch = backendChannel;
        if (ch != null) {
            backendHandler.unlease();
            if (reuse) {
                upstream.release(backend, ch, clusterConfig);
            } else {
                ch.close();
            }
        }
        backendChannel = null;
        backendHandler = null;
        backend = null;
        requestHead = null;
    }

    // ------------------------------------------------------------------ answers made here

    private void rejectAndClose(HttpResponseStatus status, String reason) {
        clientKeepAlive = false;
        respondError(status, reason, true);
    }

    /** Answers the client with an error; closes the connection after it when asked or when the exchange can't continue. */
    private void respondError(HttpResponseStatus status, String reason, boolean close) {
        endRetries();
        if (responseStarted) {
            closeNow();
            return;
        }
        boolean mustClose = close || !clientKeepAlive || (requestHasBody && !requestComplete);
        ByteBuf body = Unpooled.copiedBuffer(status.code() + " " + status.reasonPhrase() + ": " + reason + "\n", StandardCharsets.UTF_8);
        FullHttpResponse resp = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        resp.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        resp.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (status.code() == 503) {
            resp.headers().setInt(HttpHeaderNames.RETRY_AFTER, 1);
        }
        if (mustClose) {
            resp.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        if (encoder != null) {
            encoder.setHeadRequest(headRequest);
        }
        responseStarted = true;
        listener.metrics().onResponse(latency, exchangeRequest, null, status.code(), exchangeStartNanos);
        ctx.write(resp, ctx.voidPromise());
        if (mustClose) {
            closeAfterFlush();
        } else {
            ctx.flush();
            state = State.WAIT_HEAD;
            if (headTimeout != null) {
                headTimeout.expectHead();
            }
            // the request's remaining (empty) content is dropped by drain() in WAIT_HEAD
            drain();
            maybeReadClient();
        }
    }

    private void closeAfterFlush() {
        state = State.CLOSING;
        drain();
        if (encoder == null) {
            // an HTTP/2 stream: the response's END_STREAM ends it; closing would reset it and drop queued DATA.
            // What the client still sends of its request is read and dropped, so its window stays open.
            ctx.flush();
            ctx.read();
            return;
        }
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    private void closeNow() {
        endRetries();
        state = State.CLOSING;
        drain();
        ctx.close();
    }

    // ------------------------------------------------------------------ client connection events

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HeaderReadTimeoutHandler.TIMEOUT) {
            if (state == State.WAIT_HEAD) {
                // a head that never completed: an exchange of its own, whatever came before on the connection
                exchangeId++;
                exchangeRequest = null;
                exchangeStartNanos = listener.metrics().nanoTime();
                responseStarted = false;
                rejectAndClose(HttpResponseStatus.REQUEST_TIMEOUT, "request head not received in time");
            }
        } else if (evt == ListenerContext.CLOSE_IF_IDLE) {
            if (state == State.WAIT_HEAD && inbound.isEmpty()) {
                ctx.close();
            }
        } else if (evt instanceof IdleStateEvent) {
            if (state == State.WAIT_HEAD && inbound.isEmpty()) {
                ctx.close();
            } else if (state != State.CLOSING) {
                closeNow();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        requestTimer.stop();
        exchangeId++;
        endRetries();
        Backend b = backend;
        if (b != null) {
            // the client left mid-exchange: the backend connection is in an unknown state
            detachBackend(false);
            b.onEnd();
        }
        state = State.CLOSING;
        drain();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private static String describe(Throwable t) {
        if (t == null) {
            return "unknown error";
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }
}
