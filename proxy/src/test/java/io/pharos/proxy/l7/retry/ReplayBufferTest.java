package io.pharos.proxy.l7.retry;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplayBufferTest {

    private static HttpContent piece(String s) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII));
    }

    /** Sends (and so releases) a piece the way the proxy does after keeping it. */
    private static void send(EmbeddedChannel wire, ReplayBuffer replay, HttpContent c) {
        replay.add(c);
        wire.writeOutbound(c);
    }

    private static String drain(EmbeddedChannel wire) {
        StringBuilder sb = new StringBuilder();
        Object o;
        while ((o = wire.readOutbound()) != null) {
            HttpContent c = (HttpContent) o;
            ByteBuf b = c.content();
            sb.append(b.toString(StandardCharsets.US_ASCII));
            c.release();
        }
        return sb.toString();
    }

    @Test
    void replaysWhatWasSentAsOftenAsNeeded() {
        EmbeddedChannel first = new EmbeddedChannel();
        ReplayBuffer replay = new ReplayBuffer();
        replay.reset(16);
        send(first, replay, piece("hello "));
        send(first, replay, new DefaultLastHttpContent(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII)));
        assertEquals("hello world", drain(first));
        assertTrue(replay.isReplayable());
        for (int i = 0; i < 2; i++) {
            EmbeddedChannel retry = new EmbeddedChannel();
            replay.writeTo(retry);
            retry.flush();
            assertEquals("hello world", drain(retry));
            assertFalse(retry.finishAndReleaseAll());
        }
        replay.clear();
        assertFalse(first.finishAndReleaseAll());
    }

    @Test
    void aBodyPastTheLimitIsNotReplayableAndNothingIsKept() {
        EmbeddedChannel wire = new EmbeddedChannel();
        ReplayBuffer replay = new ReplayBuffer();
        replay.reset(8);
        HttpContent a = piece("12345");
        HttpContent b = piece("67890");
        send(wire, replay, a);
        assertEquals(2, a.refCnt(), "kept a duplicate");
        send(wire, replay, b);
        assertFalse(replay.isReplayable());
        drain(wire);
        assertEquals(0, a.refCnt(), "released once the limit was passed");
        assertEquals(0, b.refCnt());
        EmbeddedChannel retry = new EmbeddedChannel();
        replay.writeTo(retry);
        assertNull(retry.readOutbound());
        replay.reset(8);
        assertTrue(replay.isReplayable(), "a new request starts replayable");
        assertFalse(wire.finishAndReleaseAll());
        assertFalse(retry.finishAndReleaseAll());
    }

    @Test
    void aBodylessRequestFitsAZeroLimit() {
        ReplayBuffer replay = new ReplayBuffer();
        replay.reset(0);
        EmbeddedChannel wire = new EmbeddedChannel();
        send(wire, replay, new DefaultLastHttpContent());
        assertTrue(replay.isReplayable());
        replay.clear();
        drain(wire);
        assertFalse(wire.finishAndReleaseAll());
    }
}
