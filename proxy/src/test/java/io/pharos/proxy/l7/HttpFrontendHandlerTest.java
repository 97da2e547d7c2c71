package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The client-side pipeline on an {@link EmbeddedChannel}: everything the frontend decides without a
 * backend (rejections, timeouts on the virtual clock, 503, what closing and draining ask of it, the
 * response counters), with no leak under the paranoid detector.
 */
class HttpFrontendHandlerTest {
    private EmbeddedChannel ch;
    private Cluster cluster;
    private ListenerContext listener;
    private ListenerMetrics metrics;

    private EmbeddedChannel pipeline(String pharosExtra) throws Exception {
        PharosConfig config = ConfigLoader.parse("pharos { " + pharosExtra + "\n listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = b1, address = \"127.0.0.1:1\" } ] } } }");
        cluster = new Cluster(config.clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        metrics = new ListenerMetrics("web", List.of(), System::nanoTime, AccessLog.disabled());
        listener = new ListenerContext("web", cluster, config.http(), false, ProxyHealth.none(), metrics);
        ch = new EmbeddedChannel();
        ch.config().setAutoRead(false);
        BackendConnectionPool pool = new BackendConnectionPool(ch.eventLoop(), Transport.nio());
        ch.pipeline().addLast(new HttpProxyInitializer(listener, loop -> pool));
        ch.runPendingTasks();
        return ch;
    }

    @AfterEach
    void tearDown() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
    }

    private String written() {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    private void send(String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
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
}
