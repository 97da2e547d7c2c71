package io.pharos.proxy.l7;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.proxy.cluster.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.pharos.proxy.l7.ScriptedHooks.header;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an {@link ExchangeHook} is told and what its answers do, on an embedded pipeline with a
 * hand-driven backend connection: refusals before the backend and midway through the body, the added
 * header, and held responses (reads stopped, released, refused, a backend that closes, a client that leaves).
 */
class ExchangeHookTest {
    private final ScriptedHooks hooks = new ScriptedHooks();
    private EmbeddedProxy proxy;

    /** Counts the reads the exchange asks of a backend channel. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int reads;

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }
    }

    /** A pipeline to backend b1, hooked by {@link #hooks}: returns b1's idle connection. */
    private EmbeddedChannel b1() throws Exception {
        proxy = new EmbeddedProxy("", "", hooks, "b1");
        return proxy.backend("b1");
    }

    private Backend backend() {
        return proxy.cluster.snapshot().member("b1").backend();
    }

    /** A held exchange: {@code GET /} answered by b1 with {@code answer}, held; returns the hold. */
    private ScriptedHooks.Held held(EmbeddedChannel b1, String answer) {
        proxy.send("GET / HTTP/1.1\r\nHost: t\r\n" + header("hold=wait") + "\r\n");
        EmbeddedBackends.written(b1);
        return answerHeld(b1, answer);
    }

    /** b1 answers the request it got with {@code answer}, which is held; returns the hold. */
    private ScriptedHooks.Held answerHeld(EmbeddedChannel b1, String answer) {
        EmbeddedBackends.answer(b1, answer);
        ScriptedHooks.Held h = hooks.holds.poll();
        assertEquals(200, h.status());
        assertEquals("", proxy.written(), "nothing of a held response reaches the client");
        return h;
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void seesAdmitTheBodyTheHeadAndTheEndInOrderAndItsHeaderReachesTheBackend() throws Exception {
        EmbeddedChannel b1 = b1();
        proxy.send("POST /orders HTTP/1.1\r\nHost: shop\r\n" + header("on") + "Content-Length: 5\r\n\r\nhello");
        String forwarded = EmbeddedBackends.written(b1);
        assertTrue(forwarded.startsWith("POST /orders HTTP/1.1"), forwarded);
        assertTrue(forwarded.contains("idempotency-key: generated-1\r\n") && forwarded.endsWith("\r\n\r\nhello"), forwarded);
        EmbeddedBackends.answer(b1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertTrue(proxy.written().startsWith("HTTP/1.1 201 Created"));
        assertEquals(List.of("admit", "body 5 last", "head 201 from b1", "end 201 completed"), hooks.calls);
    }

    @Test
    void theNoopObserverHooksNothingAndAnUnhookedRequestIsNotSeen() throws Exception {
        ExchangeObserver noop = ExchangeObserver.noop();
        assertSame(noop, ExchangeObserver.noop(), "one shared instance");
        assertNull(noop.onRequest(null, new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/"), true));
        EmbeddedChannel b1 = b1();
        proxy.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        EmbeddedBackends.written(b1);
        EmbeddedBackends.answer(b1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        assertTrue(proxy.written().startsWith("HTTP/1.1 200"));
        assertEquals(List.of(), hooks.calls);
    }

    @Test
    void aRefusalToAdmitIsAnsweredWithoutABackendAndKeepsABodylessConnection() throws Exception {
        EmbeddedChannel b1 = b1();
        proxy.send("GET /a HTTP/1.1\r\nHost: t\r\n" + header("admit=503") + "\r\n");
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), out);
        assertTrue(out.contains("retry-after: 7\r\n") && out.endsWith("journal full\n") && !out.contains("connection: close"), out);
        assertEquals("", EmbeddedBackends.written(b1), "the backend saw nothing");
        assertEquals(List.of("admit", "end 503 completed"), hooks.calls);
        proxy.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(EmbeddedBackends.written(b1).startsWith("GET /b HTTP/1.1"), "the next request goes on");
    }

    @Test
    void aRefusalToAdmitARequestWithAnUnreadBodyClosesTheConnection() throws Exception {
        EmbeddedChannel b1 = b1();
        proxy.send("PUT /k HTTP/1.1\r\nHost: t\r\n" + header("max-length=4") + "Content-Length: 5\r\n\r\nhello");
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 413 Request Entity Too Large\r\n") && out.contains("connection: close"), out);
        assertFalse(out.contains("retry-after"), out);
        assertFalse(proxy.ch.isActive());
        assertEquals("", EmbeddedBackends.written(b1));
    }

    @Test
    void aBodyRefusedMidwayNeverCompletesAtTheBackendWhoseConnectionClosesUnblamed() throws Exception {
        EmbeddedChannel b1 = b1();
        proxy.send("POST /up HTTP/1.1\r\nHost: t\r\n" + header("max-body=6") + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n");
        String forwarded = EmbeddedBackends.written(b1);
        assertTrue(forwarded.endsWith("\r\n\r\n4\r\nabcd\r\n"), forwarded);
        proxy.send("4\r\nefgh\r\n0\r\n\r\n");
        assertEquals("", EmbeddedBackends.written(b1), "neither the piece over the limit nor the end reached the backend");
        assertFalse(b1.isActive(), "the backend connection closed");
        assertEquals(0, backend().stats().failures(), "not counted as a backend failure");
        assertEquals(0, backend().inFlight());
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 413 ") && out.contains("connection: close"), out);
        assertFalse(proxy.ch.isActive());
        assertEquals(List.of("admit", "body 4", "body 4", "end 413 completed"), hooks.calls);
    }

    @Test
    void aHeldResponseStopsBackendReadsUntilReleasedThenFlows() throws Exception {
        EmbeddedChannel b1 = b1();
        ReadCounter reads = new ReadCounter();
        b1.pipeline().addFirst(reads);
        // as the pool's channels: every read is one the exchange asked for
        b1.config().setAutoRead(false);
        // unheld, the relay asks the backend for more after each read: the counter sees it
        proxy.send("GET /free HTTP/1.1\r\nHost: t\r\n\r\n");
        EmbeddedBackends.written(b1);
        int before = reads.reads;
        EmbeddedBackends.answer(b1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertTrue(reads.reads > before, "an unheld response is read on");
        proxy.written();
        proxy.send("GET / HTTP/1.1\r\nHost: t\r\n" + header("hold=wait") + "\r\n");
        EmbeddedBackends.written(b1);
        before = reads.reads;
        ScriptedHooks.Held h = answerHeld(b1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        assertEquals(before, reads.reads, "no read asked of the backend while held");
        assertTrue(hooks.ends.isEmpty());
        h.decision().complete(null);
        proxy.ch.runPendingTasks();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n") && out.endsWith("\r\n\r\n12345"), out);
        assertEquals(before + 1, reads.reads, "reading resumes at release");
        EmbeddedBackends.answer(b1, "67890");
        assertEquals("67890", proxy.written());
        assertEquals("200 completed", hooks.ends.poll());
    }

    @Test
    void aHeldResponseRefusedIsDroppedItsBackendClosedUnblamedAndTheConnectionKept() throws Exception {
        EmbeddedChannel b1 = b1();
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        h.decision().complete(Refusal.unavailable("peer did not confirm", 3));
        proxy.ch.runPendingTasks();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 503 ") && out.contains("retry-after: 3\r\n") && !out.contains("connection: close"), out);
        assertFalse(out.contains("12345"), out);
        assertFalse(b1.isActive(), "the backend connection closed");
        assertEquals(0, backend().stats().failures());
        assertEquals(0, backend().inFlight());
        assertTrue(proxy.ch.isActive());
        assertEquals(List.of("admit", "head 200 from b1", "end 503 completed"), hooks.calls);
    }

    @Test
    void aFailedDecisionIsAnsweredWith503() throws Exception {
        EmbeddedChannel b1 = b1();
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        h.decision().completeExceptionally(new IllegalStateException("fsync failed"));
        proxy.ch.runPendingTasks();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 503 ") && out.contains("retry-after: 1\r\n") && out.endsWith("fsync failed\n"), out);
    }

    @Test
    void aDecisionMadeAtOnceStillWaitsForItsOwnTask() throws Exception {
        EmbeddedChannel b1 = b1();
        proxy.send("GET / HTTP/1.1\r\nHost: t\r\n" + header("hold=refuse") + "\r\n");
        EmbeddedBackends.written(b1);
        EmbeddedBackends.answer(b1, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
        proxy.ch.runPendingTasks();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 503 ") && out.contains("retry-after: 2\r\n") && !out.contains("abc"), out);
    }

    @Test
    void aDecisionAfterTheClientLeftIsIgnoredAndWhatWasHeldReleased() throws Exception {
        EmbeddedChannel b1 = b1();
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        proxy.ch.close();
        assertEquals("0 cut short", hooks.ends.poll());
        assertFalse(b1.isActive());
        h.decision().complete(null);
        proxy.ch.runPendingTasks();
        assertEquals("", proxy.written());
        assertEquals(List.of("admit", "head 200 from b1", "end 0 cut short"), hooks.calls);
    }

    @Test
    void anIdleTimeoutWhileHeldEndsTheExchangeAndTheLateDecisionIsIgnored() throws Exception {
        proxy = new EmbeddedProxy("http { idle-timeout = 1s }", "", hooks, "b1");
        EmbeddedChannel b1 = proxy.backend("b1");
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        proxy.ch.advanceTimeBy(1, TimeUnit.SECONDS);
        proxy.ch.runScheduledPendingTasks();
        assertFalse(proxy.ch.isActive());
        assertEquals("0 cut short", hooks.ends.poll());
        h.decision().complete(null);
        proxy.ch.runPendingTasks();
        assertEquals("", proxy.written());
    }

    @Test
    void aBackendThatClosesAfterItsWholeHeldResponseIsNoFailure() throws Exception {
        EmbeddedChannel b1 = b1();
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        b1.close();
        h.decision().complete(null);
        proxy.ch.runPendingTasks();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 200 OK\r\n") && out.endsWith("\r\n\r\nok"), out);
        assertEquals("200 completed", hooks.ends.poll());
        assertEquals(0, backend().stats().failures());
        assertTrue(proxy.ch.isActive(), "the client keeps its connection");
    }

    @Test
    void aBackendThatClosesMidHeldResponseGetsTheClientA502() throws Exception {
        EmbeddedChannel b1 = b1();
        ScriptedHooks.Held h = held(b1, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        b1.close();
        String out = proxy.written();
        assertTrue(out.startsWith("HTTP/1.1 502 Bad Gateway\r\n") && out.contains("closed before its held response ended"), out);
        assertEquals("502 completed", hooks.ends.poll());
        h.decision().complete(null);
        proxy.ch.runPendingTasks();
        assertEquals("", proxy.written(), "the late decision is ignored");
    }

    @Test
    void aRefusalNeedsAnErrorStatus() {
        assertThrows(IllegalArgumentException.class, () -> new Refusal(HttpResponseStatus.OK, "fine", 0));
        assertThrows(IllegalArgumentException.class, () -> Refusal.unavailable("x", -1));
        assertEquals(413, Refusal.tooLarge("big").status().code());
    }
}
