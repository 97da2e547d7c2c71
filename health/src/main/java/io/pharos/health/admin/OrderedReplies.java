package io.pharos.health.admin;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.Attribute;
import io.netty.util.AttributeKey;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * Writes admin answers in request order on keep-alive connections: pipelined requests are answered in
 * order even when an earlier one waits on another thread (the proxy's or the sidecar's control
 * thread). Stateless; the per-connection state is a channel attribute set on the connection's loop.
 */
public final class OrderedReplies {
    /** The answer to the connection's latest request, written or not; set on the connection's event loop. */
    private static final AttributeKey<CompletableFuture<Void>> LAST_ANSWER = AttributeKey.valueOf("pharos.admin.lastAnswer");

    private OrderedReplies() {
    }

    /**
     * Writes {@code answer} once it is ready and every earlier request's answer on this connection was
     * written, then closes the connection unless {@code keepAlive}. Writes happen on the connection's
     * event loop, and an answer counts as written only there, so a later answer made on the loop cannot
     * overtake one completed elsewhere. A failed {@code answer} becomes a 500 and closes. Call on the
     * connection's event loop.
     */
    public static void reply(ChannelHandlerContext ctx, CompletableFuture<FullHttpResponse> answer, boolean keepAlive) {
        assert ctx.executor().inEventLoop();
        Attribute<CompletableFuture<Void>> last = ctx.channel().attr(LAST_ANSWER);
        CompletableFuture<Void> previous = last.get();
        CompletableFuture<FullHttpResponse> inTurn = previous == null || previous.isDone() ? answer : previous.thenCompose(v -> answer);
        CompletableFuture<Void> written = new CompletableFuture<>();
        last.set(written);
        inTurn.whenComplete((r, e) -> {
            FullHttpResponse out = e == null ? r
                    : AdminResponses.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, String.valueOf(e.getCause() != null ? e.getCause() : e), false);
            Runnable w = () -> {
                write(ctx, out, e == null && keepAlive);
                written.complete(null);
            };
            if (ctx.executor().inEventLoop()) {
                w.run();
            } else {
                try {
                    ctx.executor().execute(w);
                } catch (RejectedExecutionException closing) {
                    out.release();
                }
            }
        });
    }

    /** {@link #reply} with an answer that is ready now. Call on the connection's event loop. */
    public static void send(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        reply(ctx, CompletableFuture.completedFuture(r), keepAlive);
    }

    private static void write(ChannelHandlerContext ctx, FullHttpResponse r, boolean keepAlive) {
        if (keepAlive) {
            ctx.writeAndFlush(r, ctx.voidPromise());
        } else {
            ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
