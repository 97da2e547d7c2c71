package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.l7.HttpFrontendHandler.State;
import io.pharos.proxy.l7.retry.RetryPolicy;
import io.pharos.proxy.l7.retry.RetryState;

import java.util.concurrent.CompletionStage;

/**
 * One request and its response at a time on a client connection (Envoy's {@code router} filter with its
 * {@code upstream_request}): it checks and rewrites the request head, picks a backend, sends the request
 * there (its body as it streams in), relays the response head and body back, and on a failure before the
 * response began tries another backend as {@link RetryState} allows, or answers the error itself
 * ({@link ErrorResponses}). Each try's backend channel comes from {@link UpstreamChannels} and reports
 * through {@link HttpBackendHandler}. The listener's {@link ExchangeObserver} may hook an exchange
 * ({@link ExchangeHook}, plumbed through {@link ClientResponse}): refuse it before a backend is picked or
 * midway through its body, and hold the backend's response ({@link HeldResponse}) until it decided.
 *
 * <p>One per client connection, made by its {@link HttpFrontendHandler} and reset for every request, so
 * nothing here is allocated per request. Loop-confined: every method runs on the client channel's event
 * loop, as do the backend channels it uses.
 */
final class HttpExchange {
    private final HttpFrontendHandler conn;
    private final ChannelHandlerContext ctx;
    private final ListenerContext listener;
    private final BackendConnectionPool pool;
    /** Null on an HTTP/2 stream. */
    private final HeaderReadTimeoutHandler headTimeout;
    private final ClientRequest client;
    private final ClientResponse response;
    private final RetryState retry;
    private final UpstreamTry upstreamTry;

    // --- the exchange in flight; every field below is written on the loop by start() and the steps after it
    /** Increments per exchange; a callback from an older exchange compares and gives up. */
    private int id;
    private ClusterConfig clusterConfig;
    private boolean requestComplete;
    private boolean informational;
    private boolean responseReusable;
    private boolean closeAfterResponse;
    /** A held response, if any; {@link HeldResponse#NONE} until this connection's first hold. */
    private HeldResponse held = HeldResponse.NONE;

    HttpExchange(HttpFrontendHandler conn, ChannelHandlerContext ctx, ListenerContext listener, BackendConnectionPool pool,
            ProxyResponseEncoder encoder, HeaderReadTimeoutHandler headTimeout) {
        this.conn = conn;
        this.ctx = ctx;
        this.listener = listener;
        this.pool = pool;
        this.headTimeout = headTimeout;
        this.client = new ClientRequest(ctx.channel(), encoder != null, listener.tls());
        this.response = new ClientResponse(ctx, listener, encoder);
        this.retry = new RetryState(ctx.executor().ticker());
        this.upstreamTry = new UpstreamTry(this, conn, ctx, listener, retry.replay());
    }

    // ------------------------------------------------------------------ request side

    /** A request head arrived and no exchange is in flight. */
    void start(HttpRequest req) {
        assert ctx.executor().inEventLoop();
        begin();
        HttpResponseStatus rejected = client.accept(req, listener.isClosing());
        if (rejected != null) {
            rejectAndClose(rejected, client.problem());
            return;
        }
        if (headTimeout != null) {
            headTimeout.headReceived();
        }
        ClusterSnapshot snapshot = listener.cluster().snapshot();
        clusterConfig = snapshot.config();
        Refusal refused = response.accepted(clusterConfig, req, client.hasBody());
        if (refused != null) {
            respond(refused.status(), refused.reason(), refused.retryAfterSeconds(), false);
            return;
        }
        retry.begin(clusterConfig, req.method(), req.headers(), client.clientAddress());
        Backend picked = retry.firstTry(snapshot);
        if (picked == null) {
            respondError(HttpResponseStatus.SERVICE_UNAVAILABLE, "no healthy backend in cluster " + snapshot.name(), false);
            return;
        }
        upstreamTry.start(pool.channelsFor(clusterConfig, client.upgrade() != null), clusterConfig, picked, req);
    }

    /** A head that never completed timed out: an exchange of its own, whatever came before on the connection. */
    void rejectUnfinishedHead() {
        begin();
        client.none();
        rejectAndClose(HttpResponseStatus.REQUEST_TIMEOUT, "request head not received in time");
    }

    private void begin() {
        id++;
        // the previous exchange's response is complete: a rejection of this request must still be answered
        response.begin();
        requestComplete = false;
        informational = false;
        responseReusable = false;
        closeAfterResponse = false;
    }

    int id() {
        return id;
    }

    /** Whether the response head came: written to the client, or held. */
    boolean responseBegun() {
        return response.started() || held.isHolding();
    }

    /** Whether a response is held, so the backend is not read. */
    boolean holding() {
        return held.isHolding();
    }

    /** The try's channel is ready and the request head (and any replayed body) is written to it. */
    void onTryAttached() {
        if (requestComplete) {
            conn.state(State.AWAIT_RESPONSE);
            upstreamTry.startTimer(retry.tryTimeoutNanos(listener.cluster().snapshot()));
        } else {
            conn.state(State.SENDING_BODY);
            if (client.takeExpectContinue()) {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE), ctx.voidPromise());
            }
            conn.drain();
        }
    }

    void forwardBody(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        Refusal refused = response.requestBody(content, last);
        if (refused != null) {
            content.release();
            refuse(refused);
            return;
        }
        retry.replay().add(content);
        upstreamTry.send(content, last);
        if (last) {
            requestComplete = true;
            if (conn.state() == State.SENDING_BODY) {
                conn.state(State.AWAIT_RESPONSE);
            }
            if (!responseBegun()) {
                upstreamTry.startTimer(retry.tryTimeoutNanos(listener.cluster().snapshot()));
            }
        }
    }

    void flushBackend() {
        upstreamTry.flush();
    }

    boolean backendWritable() {
        return upstreamTry.isWritable();
    }

    void readBackend() {
        if (!held.isHolding()) {
            upstreamTry.read();
        }
    }

    // ------------------------------------------------------------------ response side (called by HttpBackendHandler)

    void onBackendMessage(Object msg) {
        if (held.isHolding()) {
            held.add(msg);
        } else if (msg instanceof HttpResponse resp) {
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
            onTryFailed("malformed response: " + ErrorResponses.describe(resp.decoderResult().cause()), false);
            return;
        }
        int code = resp.status().code();
        if (code >= 100 && code < 200) {
            if (code == 101) {
                if (client.upgrade() != null && requestComplete) {
                    switchProtocols(resp);
                } else {
                    onTryFailed("unexpected 101 Switching Protocols", false);
                }
                return;
            }
            informational = true;
            ResponseFraming.frameInformational(resp);
            ctx.write(resp, ctx.voidPromise());
            return;
        }
        Backend backend = upstreamTry.onResponseHead(code);
        if (RetryPolicy.isRetriableStatus(code) && !informational && retryElsewhere(false, null)) {
            return;
        }
        retry.replay().clear();
        int framing = ResponseFraming.frame(resp, client.isHead(), client.keepAlive(), client.isHttp10(), requestComplete, listener.isClosing());
        responseReusable = (framing & ResponseFraming.BACKEND_REUSABLE) != 0;
        closeAfterResponse = (framing & ResponseFraming.CLOSE_CLIENT) != 0;
        CompletionStage<Refusal> decision = response.holdFor(resp, backend);
        if (decision != null) {
            if (held == HeldResponse.NONE) {
                held = new HeldResponse(this, ctx.executor());
            }
            held.hold(resp, backend, decision, id);
            return;
        }
        response.head(client.head(), resp, backend, client.isHead());
    }

    /** The backend agreed to the client's Upgrade: pass the 101 on and turn both connections into a byte relay. */
    private void switchProtocols(HttpResponse resp) {
        Backend b = upstreamTry.backend();
        listener.health().onResponse(b, resp.status().code());
        retry.end();
        Channel bc = upstreamTry.handOver();
        conn.state(State.CLOSING);
        conn.drain();
        response.switched(resp);
        response.end(true);
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
        if (held.isHolding()) {
            held.add(content);
        } else if (response.started()) {
            relay(content);
        } else {
            ReferenceCountUtil.release(content);
        }
    }

    /** Writes a piece of the backend's response to the client; the last one completes the exchange. */
    private void relay(HttpContent content) {
        ctx.write(content, ctx.voidPromise());
        if (content instanceof LastHttpContent) {
            complete();
        }
    }

    // ------------------------------------------------------------------ a held response (called by HeldResponse)

    /** The hook decided on the response held for exchange {@code exchangeId}: null lets it through, else refuses it. */
    void onHoldDecided(int exchangeId, Refusal refusal) {
        assert ctx.executor().inEventLoop();
        if (exchangeId != id || !held.isHolding()) {
            // the exchange ended meanwhile (client gone, idle timeout, backend failed): its held response is gone too
            return;
        }
        if (refusal != null) {
            refuse(refusal);
            return;
        }
        Backend b = held.backend();
        response.head(client.head(), held.head(), b, client.isHead());
        if (held.overrun()) {
            responseReusable = false;
        }
        held.release();
        boolean whole = false;
        HttpContent c;
        while ((c = held.next()) != null) {
            whole = c instanceof LastHttpContent;
            relay(c);
        }
        if (!whole) {
            ctx.flush();
            if (ctx.channel().isWritable()) {
                readBackend();
            }
        }
    }

    /** The backend's connection closed while its response was held. */
    private void backendClosedWhileHeld(Throwable cause) {
        if (held.isComplete()) {
            // the whole response is here (a backend that closes after its response): only the connection can't be reused
            responseReusable = false;
            return;
        }
        Backend b = held.backend();
        held.drop();
        upstreamTry.fail();
        // nothing reached the client yet, so it gets a clean error rather than a truncated response
        respondError(HttpResponseStatus.BAD_GATEWAY, "backend " + b.name() + " closed before its held response ended"
                + (cause == null ? "" : ": " + ErrorResponses.describe(cause)), !requestComplete);
    }

    /**
     * The hook refused the exchange (its body midway, or its held response): the try is let go without
     * blaming the backend (its connection closes, so it never gets the rest of the request) and the
     * refusal is answered; the client connection closes unless the whole request was read.
     */
    private void refuse(Refusal refusal) {
        held.drop();
        upstreamTry.drop();
        if (!requestComplete) {
            client.endKeepAlive();
        }
        respond(refusal.status(), refusal.reason(), refusal.retryAfterSeconds(), !requestComplete);
    }

    // ------------------------------------------------------------------ failed tries (called by UpstreamTry)

    /** The backend connection closed or failed while this exchange used it. */
    void onBackendClosed(Throwable cause) {
        if (held.isHolding()) {
            backendClosedWhileHeld(cause);
            return;
        }
        if (cause instanceof UnprocessedStreamException && !response.started() && retry.replay().isReplayable()) {
            // the backend did not process the stream (GOAWAY past it, REFUSED_STREAM): as safe to retry as a connect failure
            onTryFailed(ErrorResponses.describe(cause), true);
            return;
        }
        if (response.started()) {
            // a response cut short: the client must see the truncation, so its connection closes too
            upstreamTry.fail();
            conn.closeNow();
            return;
        }
        onTryFailed(cause == null ? "connection closed before a response" : ErrorResponses.describe(cause), false);
    }

    /** The response head did not come in time. */
    void onTryTimeout(Backend b) {
        if (retryElsewhere(false, b)) {
            return;
        }
        respondError(HttpResponseStatus.GATEWAY_TIMEOUT, "backend " + b.name() + " did not answer in time (request timeout "
                + clusterConfig.timeouts().request().toMillis() + " ms)", !requestComplete);
    }

    /**
     * A failure before any response byte reached the client: a connect failure, or the backend closed,
     * reset or sent garbage. A stale pooled connection is retried once on a fresh connection when the
     * request had no body; otherwise another backend as the retry rules allow, else 502.
     */
    void onTryFailed(String reason, boolean connectFailure) {
        boolean staleAllowed = !connectFailure && !client.hasBody() && !informational && ctx.channel().isActive();
        Backend b = upstreamTry.failBeforeResponse(staleAllowed);
        if (b == null) {
            return;
        }
        if (!informational && retryElsewhere(connectFailure, b)) {
            return;
        }
        respondError(HttpResponseStatus.BAD_GATEWAY, "backend " + b.name() + ": " + reason, !requestComplete);
    }

    /**
     * Sends the request to a backend it has not tried yet, if the retry rules allow; false when they do not
     * (the caller answers). {@code failed} is the backend of the failed try, already let go; null when the
     * try is still attached (a 502/503/504 head), which this lets go if it retries.
     */
    private boolean retryElsewhere(boolean connectFailure, Backend failed) {
        if (!ctx.channel().isActive()) {
            return false;
        }
        Backend next = retry.nextTry(listener.cluster().snapshot(), connectFailure, listener.health().retryBudget(listener.cluster().name()));
        if (next == null) {
            return false;
        }
        HttpRequest head = upstreamTry.request();
        if (failed == null) {
            upstreamTry.fail();
        }
        next.stats().onRetry();
        upstreamTry.start(upstreamTry.channels(), clusterConfig, next, head);
        return true;
    }

    // ------------------------------------------------------------------ the end of the exchange

    private void complete() {
        retry.end();
        // a connection that began with a PROXY header speaks for one client only
        upstreamTry.finish(requestComplete && responseReusable && clusterConfig.proxyProtocolSend() == PharosConfig.ProxyProtocolVersion.NONE);
        response.end(true);
        if (closeAfterResponse || !client.keepAlive()) {
            conn.closeAfterFlush();
            return;
        }
        conn.awaitNextRequest();
    }

    private void rejectAndClose(HttpResponseStatus status, String reason) {
        client.endKeepAlive();
        respondError(status, reason, true);
    }

    /** Answers the client with an error; closes the connection after it when asked or when the exchange can't continue. */
    private void respondError(HttpResponseStatus status, String reason, boolean close) {
        respond(status, reason, ErrorResponses.defaultRetryAfter(status), close);
    }

    /** {@link #respondError} with {@code Retry-After} when {@code retryAfterSeconds} is above 0. */
    private void respond(HttpResponseStatus status, String reason, int retryAfterSeconds, boolean close) {
        retry.end();
        if (response.started()) {
            conn.closeNow();
            return;
        }
        boolean mustClose = close || !client.keepAlive() || (client.hasBody() && !requestComplete);
        response.error(client.head(), status, reason, retryAfterSeconds, mustClose, client.isHead());
        response.end(true);
        if (mustClose) {
            conn.closeAfterFlush();
        } else {
            // the request's remaining (empty) content is dropped by drain() in WAIT_HEAD
            conn.awaitNextRequest();
        }
    }

    /** The connection closes with this exchange in flight ({@link HttpFrontendHandler#closeNow}). */
    void abandon() {
        retry.end();
        held.drop();
        response.end(false);
    }

    /** The client connection closed: whatever is in flight is let go. */
    void clientClosed() {
        id++;
        retry.end();
        // the client left mid-exchange: the backend connection is in an unknown state
        held.drop();
        upstreamTry.clientClosed();
        response.end(false);
    }
}
