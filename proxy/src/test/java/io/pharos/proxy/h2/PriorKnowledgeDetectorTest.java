package io.pharos.proxy.h2;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class PriorKnowledgeDetectorTest {

    private static HttpProxyInitializer h1() throws Exception {
        var config = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = c } ]\n"
                + " clusters { c { backends = [ { name = b, address = \"127.0.0.1:9\" } ] } } }");
        ListenerContext ctx = new ListenerContext("w", new io.pharos.proxy.cluster.Cluster(config.clusters().get("c"), System::nanoTime,
                ConfiguredLoadBalancerFactory::of),
                config.http(), false);
        return new HttpProxyInitializer(ctx, loop -> null);
    }

    @Test
    void thePrefaceMakesTheConnectionHttp2() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new PriorKnowledgeDetector(h1()));
        ch.writeInbound(Unpooled.copiedBuffer("PRI * HTTP/2.0\r\n", StandardCharsets.US_ASCII));
        assertNotNull(ch.pipeline().get(PriorKnowledgeDetector.class), "a prefix of the preface: undecided");
        ch.writeInbound(Unpooled.copiedBuffer("\r\nSM\r\n\r\n", StandardCharsets.US_ASCII));
        assertNull(ch.pipeline().get(PriorKnowledgeDetector.class));
        assertNotNull(ch.pipeline().get(Http2Connections.CODEC));
        assertNull(ch.pipeline().get(HttpProxyInitializer.DECODER));
        ch.finishAndReleaseAll();
    }

    @Test
    void anythingElseIsHttp1() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new PriorKnowledgeDetector(h1()));
        ch.writeInbound(Unpooled.copiedBuffer("PUT", StandardCharsets.US_ASCII));
        assertNull(ch.pipeline().get(PriorKnowledgeDetector.class));
        assertNotNull(ch.pipeline().get(HttpProxyInitializer.DECODER));
        assertNull(ch.pipeline().get(Http2Connections.CODEC));
        ch.finishAndReleaseAll();
    }
}
