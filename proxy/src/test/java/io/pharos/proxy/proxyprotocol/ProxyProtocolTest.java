package io.pharos.proxy.proxyprotocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.config.PharosConfig.ProxyProtocolVersion;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProxyProtocolTest {

    /** Records what reaches the next handler; reads only when told to. */
    private static final class Next extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            events.add("active:" + ProxyProtocol.clientAddress(ctx.channel()));
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf b = (ByteBuf) msg;
            events.add("data:" + b.toString(StandardCharsets.US_ASCII));
            b.release();
        }
    }

    @Test
    void holdsActivationUntilTheHeaderAndKeepsTheBytesAfterIt() throws Exception {
        Next next = new Next();
        EmbeddedChannel ch = new EmbeddedChannel(false, false);
        ch.config().setAutoRead(false);
        ch.pipeline().addLast(next);
        ProxyProtocol.addAcceptHandlers(ch.pipeline(), 10_000);
        ch.register();
        assertTrue(next.events.isEmpty(), "no activation before the header: " + next.events);
        ch.writeInbound(Unpooled.copiedBuffer("PROXY TCP4 192.0.2.1 10.0.0.1 1234 80\r\nhel", StandardCharsets.US_ASCII));
        ch.writeInbound(Unpooled.copiedBuffer("lo", StandardCharsets.US_ASCII));
        assertEquals(List.of("active:/192.0.2.1:1234"), next.events);
        ch.read();
        assertEquals(List.of("active:/192.0.2.1:1234", "data:hel", "data:lo"), next.events);
        assertNull(ch.pipeline().get(ProxyProtocol.ACCEPT), "the accept handler left after handing the bytes on");
        assertNull(ch.pipeline().get(ProxyProtocol.DECODER));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void closesOnGarbage() throws Exception {
        Next next = new Next();
        EmbeddedChannel ch = new EmbeddedChannel(false, false);
        ch.pipeline().addLast(next);
        ProxyProtocol.addAcceptHandlers(ch.pipeline(), 10_000);
        ch.register();
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
        assertFalse(ch.isOpen(), "no PROXY header: closed");
        assertTrue(next.events.isEmpty());
        ch.finishAndReleaseAll();
    }

    @Test
    void sendsV1AndV2Headers() {
        InetSocketAddress client = new InetSocketAddress("198.51.100.4", 4444);
        InetSocketAddress proxy = new InetSocketAddress("127.0.0.1", 6432);
        EmbeddedChannel v1 = new EmbeddedChannel();
        ProxyProtocol.sendHeader(v1, ProxyProtocolVersion.V1, client, proxy);
        v1.flush();
        ByteBuf out = v1.readOutbound();
        assertEquals("PROXY TCP4 198.51.100.4 127.0.0.1 4444 6432\r\n", out.toString(StandardCharsets.US_ASCII));
        out.release();
        assertEquals(0, v1.pipeline().names().stream().filter(n -> n.contains("HAProxy")).count(), "encoder removed");

        EmbeddedChannel v2 = new EmbeddedChannel();
        ProxyProtocol.sendHeader(v2, ProxyProtocolVersion.V2, client, proxy);
        v2.flush();
        ByteBuf b = v2.readOutbound();
        assertEquals(16 + 12, b.readableBytes());
        assertEquals(0x21, b.getUnsignedByte(12), "version 2, PROXY");
        assertEquals(0x11, b.getUnsignedByte(13), "TCP over IPv4");
        assertEquals(198, b.getUnsignedByte(16));
        b.release();

        EmbeddedChannel none = new EmbeddedChannel();
        ProxyProtocol.sendHeader(none, ProxyProtocolVersion.NONE, client, proxy);
        none.flush();
        assertNull(none.readOutbound());
        assertFalse(v1.finishAndReleaseAll());
        assertFalse(v2.finishAndReleaseAll());
        assertFalse(none.finishAndReleaseAll());
    }
}
