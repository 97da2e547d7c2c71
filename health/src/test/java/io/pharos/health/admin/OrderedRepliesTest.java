package io.pharos.health.admin;

import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.*;

/** Answers on one keep-alive connection go out in request order, whoever completes them. */
class OrderedRepliesTest {

    private static FullHttpResponse text(String body, boolean keepAlive) {
        return AdminResponses.of(HttpResponseStatus.OK, AdminResponses.TEXT, body, keepAlive);
    }

    private static String next(EmbeddedChannel ch) {
        FullHttpResponse r = ch.readOutbound();
        assertNotNull(r, "a response");
        try {
            return r.status().code() + " " + r.content().toString(StandardCharsets.UTF_8);
        } finally {
            r.release();
        }
    }

    @Test
    void aReadyAnswerWaitsForAnEarlierPendingOne() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        CompletableFuture<FullHttpResponse> first = new CompletableFuture<>();
        OrderedReplies.reply(ch.pipeline().firstContext(), first, true);
        OrderedReplies.send(ch.pipeline().firstContext(), text("second", true), true);
        OrderedReplies.send(ch.pipeline().firstContext(), text("third", true), true);
        assertNull(ch.readOutbound(), "nothing overtakes the first answer");
        first.complete(text("first", true));
        assertEquals("200 first", next(ch));
        assertEquals("200 second", next(ch));
        assertEquals("200 third", next(ch));
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void anAnswerCompletedOnAnotherThreadStillGoesOutInTurn() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ExecutorService control = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<FullHttpResponse> first = new CompletableFuture<>();
            OrderedReplies.reply(ch.pipeline().firstContext(), first, true);
            OrderedReplies.send(ch.pipeline().firstContext(), text("second", true), true);
            control.submit(() -> first.complete(text("first", true))).get();
            ch.runPendingTasks();
            assertEquals("200 first", next(ch));
            assertEquals("200 second", next(ch));
        } finally {
            control.shutdown();
            ch.finishAndReleaseAll();
        }
    }

    @Test
    void aFailedAnswerIs500AndCloses() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        OrderedReplies.reply(ch.pipeline().firstContext(), CompletableFuture.failedFuture(new IllegalStateException("boom")), true);
        String r = next(ch);
        assertTrue(r.startsWith("500 {\"error\":\"Internal Server Error\",\"status\":500,\"message\":"), r);
        assertTrue(r.contains("boom"), r);
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }

    @Test
    void withoutKeepAliveTheConnectionClosesAfterTheAnswer() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        OrderedReplies.send(ch.pipeline().firstContext(), text("bye", false), false);
        assertEquals("200 bye", next(ch));
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }
}
