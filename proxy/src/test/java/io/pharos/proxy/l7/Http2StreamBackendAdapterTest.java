package io.pharos.proxy.l7;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The stream-side adapter on an {@link EmbeddedChannel}: request head out as HEADERS, responses in as HTTP/1.1 objects, resets classified. */
class Http2StreamBackendAdapterTest {
    private final List<Throwable> errors = new ArrayList<>();
    private final EmbeddedChannel ch = new EmbeddedChannel(Http2StreamBackendAdapter.HTTPS, new ChannelInboundHandlerAdapter() {
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    });

    @AfterEach
    void tearDown() {
        ch.finishAndReleaseAll();
    }

    @Test
    void requestHeadBecomesHeadersAndContentPassesOn() {
        DefaultHttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/p");
        req.headers().add("Host", "a.example").add("Transfer-Encoding", "chunked");
        ch.writeOutbound(req);
        Http2HeadersFrame hf = ch.readOutbound();
        assertFalse(hf.isEndStream());
        assertEquals("https", hf.headers().scheme().toString());
        assertEquals("a.example", hf.headers().authority().toString());
        assertNull(hf.headers().get("transfer-encoding"));
        HttpContent c = new DefaultHttpContent(Unpooled.copiedBuffer("x", StandardCharsets.US_ASCII));
        ch.writeOutbound(c);
        HttpContent out = ch.readOutbound();
        assertSame(c, out);
        out.release();
    }

    @Test
    void wholeResponseIsSplitIntoHeadAndLastContent() {
        FullHttpResponse full = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                Unpooled.copiedBuffer("body", StandardCharsets.US_ASCII));
        full.headers().add("x-http2-stream-id", "3").add("x-kept", "1");
        ch.writeInbound(full);
        HttpResponse head = ch.readInbound();
        assertFalse(head instanceof HttpContent);
        assertNull(head.headers().get("x-http2-stream-id"));
        assertEquals("1", head.headers().get("x-kept"));
        LastHttpContent last = ch.readInbound();
        assertEquals("body", last.content().toString(StandardCharsets.US_ASCII));
        last.release();
    }

    @Test
    void interimResponseIsFollowedByItsEmptyLastContent() {
        DefaultHttpResponse early = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(103));
        early.headers().add("transfer-encoding", "chunked");
        ch.writeInbound(early);
        HttpResponse head = ch.readInbound();
        assertEquals(103, head.status().code());
        assertNull(head.headers().get("transfer-encoding"));
        assertSame(LastHttpContent.EMPTY_LAST_CONTENT, ch.readInbound());
    }

    @Test
    void unprocessedStreamsAreToldApartFromOtherResets() {
        Http2GoAwayFrame goAway = new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR, Unpooled.copiedBuffer("bye", StandardCharsets.US_ASCII));
        ch.pipeline().fireUserEventTriggered(goAway);
        assertEquals(0, goAway.refCnt());
        ch.pipeline().fireUserEventTriggered(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
        ch.pipeline().fireUserEventTriggered(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        assertEquals(3, errors.size());
        assertInstanceOf(UnprocessedStreamException.class, errors.get(0));
        assertInstanceOf(UnprocessedStreamException.class, errors.get(1));
        assertInstanceOf(IOException.class, errors.get(2));
        assertTrue(errors.get(2).getMessage().contains("CANCEL"), errors.get(2).getMessage());
    }
}
