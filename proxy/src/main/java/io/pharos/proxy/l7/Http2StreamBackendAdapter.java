package io.pharos.proxy.l7;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * Sits on an HTTP/2 stream to a backend between Netty's frame-to-HTTP/1.1 codec and the
 * {@link HttpBackendHandler}, so the stream looks like an HTTP/1.1 backend connection to the frontend.
 * Out: the request head becomes a HEADERS frame ({@link Http2RequestHeaders}); body pieces go on to the
 * codec as DATA. In: a response that came as one HEADERS frame is split into head and last content, an
 * interim (1xx) response is followed by its empty last content (as the HTTP/1.1 decoder produces), and
 * Netty's {@code x-http2-*} headers are dropped. A stream the backend did not process (GOAWAY past it,
 * REFUSED_STREAM, or the encoder's GOAWAY/closed failure for a stream still queued under
 * SETTINGS_MAX_CONCURRENT_STREAMS) is reported as an {@link UnprocessedStreamException}, any other reset
 * as an I/O error. Stateless: two shared instances, by the connection's scheme.
 */
@ChannelHandler.Sharable
final class Http2StreamBackendAdapter extends ChannelDuplexHandler {
    static final Http2StreamBackendAdapter HTTP = new Http2StreamBackendAdapter(false);
    static final Http2StreamBackendAdapter HTTPS = new Http2StreamBackendAdapter(true);

    private final boolean https;

    private Http2StreamBackendAdapter(boolean https) {
        this.https = https;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpRequest req) {
            DefaultHttp2HeadersFrame headers;
            try {
                headers = new DefaultHttp2HeadersFrame(Http2RequestHeaders.of(req, https), false);
            } catch (IllegalArgumentException e) {
                ReferenceCountUtil.release(msg);
                promise.setFailure(e);
                return;
            }
            ctx.write(headers, promise);
        } else {
            ctx.write(msg, promise);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpResponse full) {
            stripExtensions(full.headers());
            ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else if (msg instanceof HttpResponse resp) {
            stripExtensions(resp.headers());
            if (resp.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                resp.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
                ctx.fireChannelRead(resp);
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                ctx.fireChannelRead(resp);
            }
        } else {
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2GoAwayFrame goAway) {
            // the multiplexer tells only streams above the GOAWAY's last stream id
            String m = "backend sent GOAWAY (last stream " + goAway.lastStreamId() + ") before processing the stream";
            goAway.release();
            ctx.fireExceptionCaught(new UnprocessedStreamException(m));
        } else if (evt instanceof Http2ResetFrame reset) {
            if (reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
                ctx.fireExceptionCaught(new UnprocessedStreamException("backend refused the stream (REFUSED_STREAM)"));
            } else {
                Http2Error e = Http2Error.valueOf(reset.errorCode());
                ctx.fireExceptionCaught(new IOException("stream reset by backend (" + (e == null ? reset.errorCode() : e.name()) + ")"));
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof StreamBufferingEncoder.Http2GoAwayException || cause instanceof StreamBufferingEncoder.Http2ChannelClosedException) {
            ctx.fireExceptionCaught(new UnprocessedStreamException("stream not sent: " + cause.getMessage()));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    private static void stripExtensions(HttpHeaders h) {
        for (HttpConversionUtil.ExtensionHeaderNames n : HttpConversionUtil.ExtensionHeaderNames.values()) {
            h.remove(n.text());
        }
    }
}
