package io.pharos.proxy.continuity.apply;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a replay connection: waits for the final response of the request in flight
 * (informational 1xx answers are skipped, the body is read and dropped) and tells the try that leased the
 * connection its status, or why there was none. Between tries the connection idles unleased; anything it
 * receives then closes it. One per connection; confined to its event loop.
 */
final class ReplayResponseHandler extends ChannelInboundHandlerAdapter {

    /** The try waiting on this connection; called on the connection's loop, at most once per lease. */
    interface Listener {
        void onResponse(int status, boolean keepAlive);

        /** @param responseStarted whether a response head came before the failure */
        void onFailure(String why, boolean responseStarted);
    }

    /** The try that leased the connection, or null while it idles; loop only. */
    private Listener listener;
    /** The final status of the response being read (0 before its head); loop only. */
    private int status;
    private boolean keepAlive;
    /** Whether the response being read is an informational 1xx one; loop only. */
    private boolean informational;

    /** Loop: the next response on this connection goes to {@code l}. */
    void lease(Listener l) {
        listener = l;
        status = 0;
        informational = false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (listener == null) {
                ctx.close();
                return;
            }
            if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
                fail(ctx, "malformed response: " + o.decoderResult().cause().getMessage());
                return;
            }
            if (msg instanceof HttpResponse r) {
                int code = r.status().code();
                informational = code >= 100 && code < 200 && code != 101;
                if (!informational) {
                    status = code;
                    keepAlive = HttpUtil.isKeepAlive(r);
                }
            }
            if (msg instanceof LastHttpContent) {
                if (informational) {
                    informational = false;
                    return;
                }
                Listener l = listener;
                listener = null;
                l.onResponse(status, keepAlive);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        Listener l = listener;
        listener = null;
        if (l != null) {
            l.onFailure("connection closed before the whole response", status != 0);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, describe(cause));
    }

    private void fail(ChannelHandlerContext ctx, String why) {
        Listener l = listener;
        listener = null;
        ctx.close();
        if (l != null) {
            l.onFailure(why, status != 0);
        }
    }

    /** An exception as a short text for the status: its class and message, and its cause's. */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
        if (root != t) {
            text += " (" + root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage()) + ")";
        }
        return text;
    }
}
