package io.pharos.proxy.l7;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.metrics.LatencyHistogram;

import java.util.concurrent.CompletionStage;

/**
 * The client's side of the response of the exchange in flight: writes the response head (a backend's,
 * framed by the caller, or an error page the proxy made) and reports it to the listener's metrics; and
 * the plumbing of the exchange's {@link ExchangeHook}, if the listener's {@link ExchangeObserver} hooked
 * it: asks it to admit the request, hands it the request body and the backend's response head, and tells
 * it when the exchange ends, exactly once. Unhooked, each of these is a null check.
 *
 * <p>One per client connection, reset for every exchange by {@link #begin}. Loop-confined: every method
 * runs on the client channel's event loop; every non-final field is written there.
 */
final class ClientResponse {
    private final ChannelHandlerContext ctx;
    private final ListenerContext listener;
    /** Null on an HTTP/2 stream. */
    private final ProxyResponseEncoder encoder;
    /** This loop's latency recorder. */
    private final LatencyHistogram.Sink latency;
    private final ExchangeObserver observer;
    /** When the exchange began, on the metrics clock. */
    private long startNanos;
    /** Whether a response head went to the client in this exchange. */
    private boolean started;
    /** The status of that head, or 0. */
    private int status;
    /** Whether the end of this exchange is yet to be reported. */
    private boolean endPending;
    /** The hook of this exchange, or null when the observer left it alone. */
    private ExchangeHook hook;
    /** {@link #hook} when the request has a body, else null (a bodyless request's empty end is not offered). */
    private ExchangeHook bodyHook;

    ClientResponse(ChannelHandlerContext ctx, ListenerContext listener, ProxyResponseEncoder encoder) {
        this.ctx = ctx;
        this.listener = listener;
        this.encoder = encoder;
        this.latency = listener.metrics().latencySink(ctx.channel().eventLoop());
        this.observer = listener.exchangeObserver();
    }

    /** An exchange begins (a request head arrived, or a head timed out unfinished). */
    void begin() {
        startNanos = listener.metrics().nanoTime();
        started = false;
        status = 0;
        hook = null;
        bodyHook = null;
        endPending = true;
    }

    /**
     * The request was accepted: the observer may hook the exchange (and change the head). Returns the
     * hook's refusal to admit it, or null to go on.
     */
    Refusal accepted(ClusterConfig cluster, HttpRequest request, boolean hasBody) {
        ExchangeHook h = observer.onRequest(cluster, request, hasBody);
        hook = h;
        if (h == null) {
            return null;
        }
        bodyHook = hasBody ? h : null;
        return h.admit();
    }

    /** A piece of the request body goes to the backend: returns the hook's refusal of it, or null to send it. */
    Refusal requestBody(HttpContent content, boolean last) {
        ExchangeHook h = bodyHook;
        return h == null ? null : h.onRequestBody(content.content(), last);
    }

    /** A backend's final response head, framed: returns the decision to hold it for, or null to write it now. */
    CompletionStage<Refusal> holdFor(HttpResponse resp, Backend backend) {
        ExchangeHook h = hook;
        return h == null ? null : h.onResponseHead(resp, backend);
    }

    boolean started() {
        return started;
    }

    /** Writes (unflushed) a backend's final response head, already framed for the client. */
    void head(HttpRequest request, HttpResponse resp, Backend backend, boolean headRequest) {
        write(request, resp, backend, headRequest);
    }

    /** Writes and flushes a 101 Switching Protocols head: what follows is no longer HTTP. */
    void switched(HttpResponse resp) {
        started = true;
        status = resp.status().code();
        encoder.setHeadRequest(false);
        ctx.writeAndFlush(resp, ctx.voidPromise());
    }

    /**
     * Writes (unflushed) an error page the proxy made, with {@code Retry-After} when {@code retryAfterSeconds}
     * is above 0; {@code close} announces the connection closes after it.
     */
    void error(HttpRequest request, HttpResponseStatus errorStatus, String reason, int retryAfterSeconds, boolean close, boolean headRequest) {
        write(request, ErrorResponses.page(errorStatus, reason, retryAfterSeconds, close), null, headRequest);
    }

    /** Writes (unflushed) a final response head; {@code backend} is null for the proxy's own answer. */
    private void write(HttpRequest request, HttpResponse resp, Backend backend, boolean headRequest) {
        started = true;
        status = resp.status().code();
        listener.metrics().onResponse(latency, request, backend, status, startNanos);
        if (encoder != null) {
            encoder.setHeadRequest(headRequest);
        }
        ctx.write(resp, ctx.voidPromise());
    }

    /** The exchange ended; {@code completed} when its whole response was written. Only the first call counts. */
    void end(boolean completed) {
        if (endPending) {
            endPending = false;
            ExchangeHook h = hook;
            if (h != null) {
                hook = null;
                h.onEnd(status, completed);
            }
        }
    }
}
