package io.pharos.health.admin;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** An admin request body over the limit is a JSON 413. */
class AdminAggregatorTest {
    @Test
    void anOversizedBodyIsAJson413() {
        EmbeddedChannel ch = new EmbeddedChannel(new AdminAggregator(16));
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.PUT, "/x");
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 17);
        ch.writeInbound(req);
        FullHttpResponse r = ch.readOutbound();
        assertNotNull(r, "a response");
        try {
            assertEquals(413, r.status().code());
            assertEquals(AdminResponses.JSON, r.headers().get(HttpHeaderNames.CONTENT_TYPE));
            assertEquals("{\"error\":\"Request Entity Too Large\",\"status\":413,\"message\":\"request body over 16 bytes\"}\n",
                    r.content().toString(StandardCharsets.UTF_8));
        } finally {
            r.release();
        }
        ch.finishAndReleaseAll();
    }
}
