package io.pharos.proxy.l7;

import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.metrics.ListenerMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client-side pipeline on an {@link EmbeddedChannel}: everything the frontend decides without a
 * backend (rejections, timeouts on the virtual clock, 503, what closing and draining ask of it, the
 * response counters), and retries against backend connections driven by hand, with no leak under the
 * paranoid detector.
 */
class HttpFrontendHandlerTest {
    private EmbeddedProxy proxy;
    private EmbeddedChannel ch;
    private Cluster cluster;
    private ListenerContext listener;
    private ListenerMetrics metrics;

    private EmbeddedChannel pipeline(String pharosExtra) throws Exception {
        return pipeline(pharosExtra, "", "b1");
    }

    private EmbeddedChannel pipeline(String pharosExtra, String clusterExtra, String... backends) throws Exception {
        proxy = new EmbeddedProxy(pharosExtra, clusterExtra, ExchangeObserver.noop(), backends);
        ch = proxy.ch;
        cluster = proxy.cluster;
        listener = proxy.listener;
        metrics = proxy.metrics;
        return ch;
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private String written() {
        return proxy.written();
    }

    private void send(String text) {
        proxy.send(text);
    }

    @Test
    void contentLengthWithChunkedIsRejected() throws Exception {
        pipeline("");
        send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 400 Bad Request"), out);
        assertTrue(out.contains("connection: close"), out);
        assertFalse(ch.isActive(), "closed after the 400");
    }

    @Test
    void bareLineFeedIsRejected() throws Exception {
        pipeline("");
        send("GET / HTTP/1.1\nHost: t\n\n");
        assertTrue(written().startsWith("HTTP/1.1 400"));
        assertFalse(ch.isActive());
    }

    @Test
    void missingHostIsRejected() throws Exception {
        pipeline("");
        send("GET / HTTP/1.1\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 400"), out);
        assertTrue(out.contains("missing Host"), out);
    }

    @Test
    void unsupportedExpectationGets417() throws Exception {
        pipeline("");
        send("POST / HTTP/1.1\r\nHost: t\r\nExpect: magic\r\nContent-Length: 1\r\n\r\nx");
        assertTrue(written().startsWith("HTTP/1.1 417"));
        assertFalse(ch.isActive());
    }

    @Test
    void headerReadTimeoutOnTheVirtualClock() throws Exception {
        pipeline("http { header-read-timeout = 2s }");
        send("GET / HTTP/1.1\r\nHost: t\r\n");
        ch.advanceTimeBy(1900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("", written(), "nothing before the timeout");
        assertTrue(ch.isActive());
        ch.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 408"), out);
        assertFalse(ch.isActive());
    }

    @Test
    void headerReadTimeoutOfASecondRequestCountsFromItsOwnFirstByte() throws Exception {
        pipeline("http { header-read-timeout = 2s }");
        cluster.setDraining("b1", true);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 503"), "first request answered, connection kept");
        ch.advanceTimeBy(1500, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        send("GET / HTTP/1.1\r\nHost: t\r\n");
        ch.advanceTimeBy(1900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("", written(), "the second head has had 1.9 s of its 2 s");
        assertTrue(ch.isActive());
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 408"), "the second, unfinished head is answered too: " + out);
        assertFalse(ch.isActive(), "closed 2 s after the second head began");
    }

    @Test
    void allBackendsDrainedGives503AndKeepsTheConnection() throws Exception {
        pipeline("");
        cluster.setDraining("b1", true);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 503"), out);
        assertTrue(out.contains("retry-after: 1"), out);
        assertTrue(ch.isActive(), "a 503 to a bodyless keep-alive request keeps the connection");
        send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 503"));
        assertFalse(ch.isActive());
    }

    @Test
    void idleConnectionClosesAfterTheConfiguredTimeCountedFromTheLastActivity() throws Exception {
        pipeline("http { idle-timeout = 7s }");
        ch.advanceTimeBy(6900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isActive(), "idle 6.9 s of 7");
        cluster.setDraining("b1", true);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 503"));
        ch.advanceTimeBy(6900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isActive(), "idle 6.9 s since the request and its answer");
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isActive(), "closed after 7 s idle");
        assertEquals("", written(), "an idle close sends nothing");
    }

    // ---- what the operations side asks of the frontend: close when idle at shutdown, end keep-alive, count responses

    @Test
    void closeIfIdleClosesAConnectionWithNothingInFlight() throws Exception {
        pipeline("");
        cluster.setDraining("b1", true);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 503"));
        assertTrue(ch.isActive(), "keep-alive after a 503");
        ch.pipeline().fireUserEventTriggered(ListenerContext.CLOSE_IF_IDLE);
        ch.runPendingTasks();
        assertFalse(ch.isActive());
    }

    @Test
    void aClosingListenerEndsKeepAliveAfterTheNextResponse() throws Exception {
        pipeline("");
        cluster.setDraining("b1", true);
        listener.setClosing();
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 503"), out);
        assertTrue(out.contains("connection: close"), out);
        ch.runPendingTasks();
        assertFalse(ch.isActive());
    }

    @Test
    void aRejectedSecondRequestIsAnsweredAndEveryProxyResponseIsCounted() throws Exception {
        pipeline("");
        cluster.setDraining("b1", true);
        send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        assertTrue(written().startsWith("HTTP/1.1 503"));
        send("GET / HTTP/1.1\r\n\r\n");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 400"), out);
        assertEquals(1, metrics.responses(5));
        assertEquals(1, metrics.responses(4));
        assertEquals(0, metrics.responses(2));
    }

    // ---- retries: backend connections driven by hand (EmbeddedBackends), timeouts on the virtual clock

    /** A pipeline to backends b1 and b2, each with an idle connection: returns the two connections. */
    private EmbeddedChannel[] twoBackends(String clusterExtra) throws Exception {
        pipeline("", clusterExtra, "b1", "b2");
        return new EmbeddedChannel[] {proxy.backend("b1"), proxy.backend("b2")};
    }

    /** The backend connection of the two that received a request (exactly one must have). */
    private static EmbeddedChannel receiver(EmbeddedChannel a, EmbeddedChannel b, String expectedStart) {
        String toA = EmbeddedBackends.written(a);
        String toB = EmbeddedBackends.written(b);
        assertTrue(toA.isEmpty() != toB.isEmpty(), "one backend got the request: [" + toA + "] [" + toB + "]");
        String got = toA.isEmpty() ? toB : toA;
        assertTrue(got.startsWith(expectedStart), got);
        return toA.isEmpty() ? b : a;
    }

    @Test
    void aGetAnswered503IsRetriedOnTheOtherBackend() throws Exception {
        EmbeddedChannel[] b = twoBackends("");
        EmbeddedChannel b1 = b[0];
        EmbeddedChannel b2 = b[1];
        send("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
        EmbeddedChannel first = receiver(b1, b2, "GET /x HTTP/1.1");
        EmbeddedChannel second = first == b1 ? b2 : b1;
        EmbeddedBackends.answer(first, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        assertEquals("", written(), "the 503 is not passed on");
        assertFalse(first.isActive(), "the connection that answered 503 is closed");
        assertTrue(EmbeddedBackends.written(second).startsWith("GET /x HTTP/1.1"), "the request went to the other backend");
        EmbeddedBackends.answer(second, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 200 OK"), out);
        assertTrue(out.endsWith("\r\n\r\nok"), out);
        assertTrue(ch.isActive());
        String secondName = first == b1 ? "b2" : "b1";
        assertEquals(1, cluster.snapshot().member(secondName).backend().stats().retries());
        assertEquals(1, metrics.responses(2));
        assertEquals(0, metrics.responses(5));
    }

    @Test
    void aPostAnswered503GoesToTheClient() throws Exception {
        EmbeddedChannel[] b = twoBackends("");
        EmbeddedChannel b1 = b[0];
        EmbeddedChannel b2 = b[1];
        send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
        EmbeddedChannel first = receiver(b1, b2, "POST /x HTTP/1.1");
        EmbeddedBackends.answer(first, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy");
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 503 Service Unavailable"), out);
        assertTrue(out.endsWith("busy"), out);
        assertEquals("", EmbeddedBackends.written(first == b1 ? b2 : b1), "a POST is never sent twice");
        assertEquals(1, metrics.responses(5));
    }

    @Test
    void aSilentBackendIsRetriedAfterTheRequestTimeoutOverAttemptsThenAnswered504() throws Exception {
        EmbeddedChannel[] b = twoBackends("retries { attempts = 2 }, timeouts { request = 2s }");
        EmbeddedChannel b1 = b[0];
        EmbeddedChannel b2 = b[1];
        send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
        EmbeddedChannel first = receiver(b1, b2, "GET /slow HTTP/1.1");
        EmbeddedChannel second = first == b1 ? b2 : b1;
        ch.advanceTimeBy(900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("", EmbeddedBackends.written(second), "0.9 s of the first try's 1 s (2 s / 2 attempts)");
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(first.isActive(), "the silent connection is closed");
        assertTrue(EmbeddedBackends.written(second).startsWith("GET /slow HTTP/1.1"), "retried after 1 s");
        ch.advanceTimeBy(900, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        assertEquals("", written());
        ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 504"), "the request timeout is spent after the second try: " + out);
        assertTrue(out.contains("request timeout 2000 ms"), out);
    }
}
