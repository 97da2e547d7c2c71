package io.pharos.health.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/** The gate every admin request passes (well-formed, the bearer token when one is set) and the routes' 4xx. */
class AdminGateTest {
    private static final String TOKEN = "0123456789abcdef-token";

    /** Answers 200 "routed" to what the gate admits. */
    private static EmbeddedChannel channel(Optional<String> token) {
        AdminGate gate = AdminGate.of(token);
        return new EmbeddedChannel(new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
                gate.serve(ctx, req, (c, r, keepAlive) -> {
                    if (r.uri().equals("/teapot")) {
                        throw new AdminError(HttpResponseStatus.CONFLICT, "short and stout");
                    }
                    OrderedReplies.send(c, AdminResponses.of(HttpResponseStatus.OK, AdminResponses.TEXT, "routed", keepAlive), keepAlive);
                });
            }
        });
    }

    private static String call(EmbeddedChannel ch, FullHttpRequest req, int expectedStatus) {
        ch.writeInbound(req);
        FullHttpResponse res = ch.readOutbound();
        assertNotNull(res, "a response");
        try {
            assertEquals(expectedStatus, res.status().code());
            if (expectedStatus == 401) {
                assertEquals("Bearer", res.headers().get(HttpHeaderNames.WWW_AUTHENTICATE));
            }
            return res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
        }
    }

    private static FullHttpRequest get(String authorization) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/status");
        if (authorization != null) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        return req;
    }

    @Test
    void withoutATokenEveryWellFormedRequestIsRouted() {
        EmbeddedChannel ch = channel(Optional.empty());
        assertEquals("routed", call(ch, get(null), 200));
        assertEquals("routed", call(ch, get("Bearer anything"), 200));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void theTokenMustMatchExactly() {
        EmbeddedChannel ch = channel(Optional.of(TOKEN));
        assertEquals("{\"error\":\"Unauthorized\",\"status\":401,\"message\":\"missing or wrong bearer token\"}\n",
                call(ch, get(null), 401));
        call(ch, get("Bearer " + TOKEN.substring(0, 10)), 401);
        call(ch, get("Bearer " + TOKEN + "x"), 401);
        call(ch, get("Basic " + TOKEN), 401);
        call(ch, get("bearer " + TOKEN), 401);
        assertTrue(ch.isOpen(), "a keep-alive 401 keeps the connection");
        assertEquals("routed", call(ch, get("Bearer " + TOKEN), 200));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void aMalformedRequestIs400AndClosesTheConnection() {
        EmbeddedChannel ch = channel(Optional.of(TOKEN));
        FullHttpRequest bad = get("Bearer " + TOKEN);
        bad.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("bad header")));
        assertTrue(call(ch, bad, 400).contains("\"message\":\"malformed request\""));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void aRoutesAdminErrorIsAnsweredWithItsStatusAndJsonBody() {
        EmbeddedChannel ch = channel(Optional.empty());
        FullHttpRequest teapot = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/teapot");
        assertEquals("{\"error\":\"Conflict\",\"status\":409,\"message\":\"short and stout\"}\n", call(ch, teapot, 409));
        assertTrue(ch.isOpen(), "a keep-alive 4xx keeps the connection");
        assertFalse(ch.finishAndReleaseAll());
    }
}
