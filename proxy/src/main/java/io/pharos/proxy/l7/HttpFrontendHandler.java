package io.pharos.proxy.l7;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * The client side of one HTTP/1.1 connection, or of one HTTP/2 stream: it owns the client channel, reads
 * it only while the exchange in flight can take more, and runs one {@link HttpExchange} at a time;
 * pipelined requests wait in {@link #inbound} for their turn. The exchange object is made once per
 * connection and reused for each request.
 *
 * <p>Loop-confined: every method runs on the client channel's event loop, as do the exchange and the
 * backend channels it uses.
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter {
    /** What the connection does with the next client message. */
    enum State { WAIT_HEAD, CONNECTING, SENDING_BODY, AWAIT_RESPONSE, CLOSING }

    private final ListenerContext listener;
    private final BackendConnectionPool pool;
    /** Decoded client messages not yet handled (body while connecting, pipelined requests). */
    private final ArrayDeque<Object> inbound = new ArrayDeque<>();

    /** Set once in handlerAdded. */
    private ChannelHandlerContext ctx;
    /** Set once in handlerAdded; null on an HTTP/2 stream (its codec has its own limits). */
    private HeaderReadTimeoutHandler headTimeout;
    /** Set once in handlerAdded; null on an HTTP/2 stream. */
    private ProxyResponseEncoder encoder;
    /** Set once in handlerAdded: the exchange in flight, reset per request. */
    private HttpExchange exchange;
    /** Written on the loop, by this handler and by its exchange. */
    private State state = State.WAIT_HEAD;

    HttpFrontendHandler(ListenerContext listener, BackendConnectionPool pool) {
        this.listener = listener;
        this.pool = pool;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.headTimeout = ctx.pipeline().get(HeaderReadTimeoutHandler.class);
        this.encoder = ctx.pipeline().get(ProxyResponseEncoder.class);
        this.exchange = new HttpExchange(this, ctx, listener, pool, encoder, headTimeout);
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
        exchange.flushBackend();
        maybeReadClient();
    }

    State state() {
        return state;
    }

    void state(State state) {
        assert ctx.executor().inEventLoop();
        this.state = state;
    }

    /** Handles queued client messages as far as the state allows. */
    void drain() {
        Object m;
        while ((m = inbound.peek()) != null) {
            switch (state) {
                case WAIT_HEAD -> {
                    inbound.poll();
                    if (m instanceof HttpRequest req) {
                        exchange.start(req);
                    } else {
                        // content of a request we already answered without forwarding
                        ReferenceCountUtil.release(m);
                    }
                }
                case SENDING_BODY -> {
                    inbound.poll();
                    exchange.forwardBody((HttpContent) m);
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

    /** Reads the client when there is room: waiting for a head, or sending a body the backend can take. */
    void maybeReadClient() {
        if (!inbound.isEmpty()) {
            return;
        }
        if (state == State.WAIT_HEAD || (state == State.SENDING_BODY && exchange.backendWritable())) {
            ctx.read();
        }
    }

    /** The exchange ended and the connection stays: on to the next request, queued or yet to come. */
    void awaitNextRequest() {
        ctx.flush();
        state = State.WAIT_HEAD;
        if (headTimeout != null) {
            headTimeout.expectHead();
        }
        drain();
        maybeReadClient();
    }

    /** Closes the connection once what was written is flushed (an HTTP/2 stream just ends with its response). */
    void closeAfterFlush() {
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

    /** Closes the connection now, cutting short the exchange in flight. */
    void closeNow() {
        exchange.abandon();
        state = State.CLOSING;
        drain();
        ctx.close();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            exchange.readBackend();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == HeaderReadTimeoutHandler.TIMEOUT) {
            if (state == State.WAIT_HEAD) {
                exchange.rejectUnfinishedHead();
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
        exchange.clientClosed();
        state = State.CLOSING;
        drain();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
