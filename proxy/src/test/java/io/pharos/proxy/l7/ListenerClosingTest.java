package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.server.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the operations side asks of the HTTP frontend: close when idle at shutdown, end keep-alive, count responses. */
class ListenerClosingTest {
    private EmbeddedChannel ch;
    private ListenerContext listener;
    private ListenerMetrics metrics;
    private final long[] clock = {1_000_000};

    private void pipeline() throws Exception {
        PharosConfig config = ConfigLoader.parse("pharos { listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { backends = [ { name = b1, address = \"127.0.0.1:1\" } ] } } }");
        Cluster cluster = new Cluster(config.clusters().get("app"), System::nanoTime);
        cluster.setDraining("b1", true);
        metrics = new ListenerMetrics("web", List.of(), () -> clock[0], AccessLog.disabled());
        listener = new ListenerContext("web", cluster, config.http(), false, ProxyHealth.none(), metrics);
        ch = new EmbeddedChannel();
        ch.config().setAutoRead(false);
        BackendConnectionPool pool = new BackendConnectionPool(ch.eventLoop(), Transport.nio());
        ch.pipeline().addLast(new HttpProxyInitializer(listener, loop -> pool));
        ch.runPendingTasks();
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

    @Test
    void closeIfIdleClosesAConnectionWithNothingInFlight() throws Exception {
        pipeline();
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: t\r\n\r\n", StandardCharsets.ISO_8859_1));
        assertTrue(written().startsWith("HTTP/1.1 503"));
        assertTrue(ch.isActive(), "keep-alive after a 503");
        ch.pipeline().fireUserEventTriggered(ListenerContext.CLOSE_IF_IDLE);
        ch.runPendingTasks();
        assertFalse(ch.isActive());
    }

    @Test
    void aClosingListenerEndsKeepAliveAfterTheNextResponse() throws Exception {
        pipeline();
        listener.setClosing();
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: t\r\n\r\n", StandardCharsets.ISO_8859_1));
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 503"), out);
        assertTrue(out.contains("connection: close"), out);
        ch.runPendingTasks();
        assertFalse(ch.isActive());
    }

    @Test
    void aRejectedSecondRequestIsAnsweredAndEveryProxyResponseIsCounted() throws Exception {
        pipeline();
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: t\r\n\r\n", StandardCharsets.ISO_8859_1));
        assertTrue(written().startsWith("HTTP/1.1 503"));
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\n\r\n", StandardCharsets.ISO_8859_1));
        String out = written();
        assertTrue(out.startsWith("HTTP/1.1 400"), out);
        assertEquals(1, metrics.responses(5));
        assertEquals(1, metrics.responses(4));
        assertEquals(0, metrics.responses(2));
    }
}
