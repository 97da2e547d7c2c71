package io.pharos.proxy.l7;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.metrics.LatencyHistogram;

/**
 * The client's side of the response of the exchange in flight: writes the response head (a backend's,
 * framed by the caller, or an error page the proxy made) and reports it to the listener's metrics and
 * {@link ExchangeObserver}, hands the observer the request body if it asked for it, and tells it when the
 * exchange ends, exactly once.
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
    /** Whether the observer has yet to hear of the end of this exchange. */
    private boolean endPending;
    /** Whether the observer asked for this request's body. */
    private boolean observeBody;

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
        observeBody = false;
        endPending = true;
    }

    /** The request was accepted: asks the observer whether it wants the body. */
    void accepted(HttpRequest request, boolean hasBody) {
        observeBody = hasBody && observer.observesRequestBody(request);
    }

    /** A piece of the request body goes to the backend (the observer sees it if it asked). */
    void requestBody(HttpRequest request, HttpContent content, boolean last) {
        if (observeBody) {
            observer.onRequestBody(request, content.content(), last);
        }
    }

    boolean started() {
        return started;
    }

    /** Writes (unflushed) a backend's final response head, already framed for the client. */
    void head(HttpRequest request, HttpResponse resp, Backend backend, boolean headRequest) {
        write(request, resp, backend, headRequest);
    }

    /** Writes and flushes a 101 Switching Protocols head: what follows is no longer HTTP. */
    void switched(HttpRequest request, HttpResponse resp, Backend backend) {
        started = true;
        status = resp.status().code();
        encoder.setHeadRequest(false);
        observer.onResponseHead(request, resp, backend);
        ctx.writeAndFlush(resp, ctx.voidPromise());
    }

    /** Writes (unflushed) an error page the proxy made; {@code close} announces the connection closes after it. */
    void error(HttpRequest request, HttpResponseStatus errorStatus, String reason, boolean close, boolean headRequest) {
        write(request, ErrorResponses.page(errorStatus, reason, close), null, headRequest);
    }

    /** Writes (unflushed) a final response head; {@code backend} is null for the proxy's own answer. */
    private void write(HttpRequest request, HttpResponse resp, Backend backend, boolean headRequest) {
        started = true;
        status = resp.status().code();
        listener.metrics().onResponse(latency, request, backend, status, startNanos);
        if (encoder != null) {
            encoder.setHeadRequest(headRequest);
        }
        observer.onResponseHead(request, resp, backend);
        ctx.write(resp, ctx.voidPromise());
    }

    /** The exchange ended; {@code completed} when its whole response was written. Only the first call counts. */
    void end(HttpRequest request, boolean completed) {
        if (endPending) {
            endPending = false;
            observer.onExchangeEnd(request, status, completed);
        }
    }
}
