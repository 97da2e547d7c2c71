package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.concurrent.Promise;
import io.pharos.health.EndpointId;
import io.pharos.health.config.HostPort;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which HTTP/2 connection a new stream goes on, from the connections' states (no sockets). */
class Http2BackendPoolTest {
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final Http2BackendPool pool = new Http2BackendPool(loop.eventLoop(), Transport.nio(), null);
    private final Backend backend = new Backend(new EndpointId("app", "b1"), HostPort.parse("127.0.0.1:1"));

    @AfterEach
    void tearDown() {
        loop.finishAndReleaseAll();
    }

    private static ClusterConfig cluster(String extra) throws Exception {
        return ConfigLoader.parse("pharos { listeners = [ { name = web, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " clusters { app { protocol = h2\n backends = [ { name = b1, address = \"127.0.0.1:1\" } ]\n" + extra + " } } }")
                .clusters().get("app");
    }

    private Http2BackendConnection connecting(ClusterConfig c, int assumed, int waiting) {
        Http2BackendConnection conn = new Http2BackendConnection(pool, backend, c, assumed);
        for (int i = 0; i < waiting; i++) {
            Promise<Channel> p = loop.eventLoop().newPromise();
            conn.assign(p);
        }
        return conn;
    }

    private Http2BackendConnection ready(ClusterConfig c, long maxStreams) {
        Http2BackendConnection conn = new Http2BackendConnection(pool, backend, c, 100);
        conn.onSettings(maxStreams);
        return conn;
    }

    @Test
    void prefersAReadyConnectionWithRoom() throws Exception {
        ClusterConfig c = cluster("");
        Http2BackendConnection settingUp = connecting(c, 100, 1);
        Http2BackendConnection readyOne = ready(c, 4);
        assertSame(readyOne, Http2BackendPool.choose(List.of(settingUp, readyOne), c));
        assertEquals(Http2BackendConnection.State.READY, readyOne.state());
        assertEquals(4, readyOne.room());
    }

    @Test
    void aConnectionBeingSetUpTakesStreamsUpToItsAssumedLimit() throws Exception {
        ClusterConfig c = cluster("");
        Http2BackendConnection full = connecting(c, 2, 2);
        Http2BackendConnection withRoom = connecting(c, 2, 1);
        assertEquals(0, full.room());
        assertSame(withRoom, Http2BackendPool.choose(List.of(full, withRoom), c));
        assertNull(Http2BackendPool.choose(List.of(full), c));
        assertNull(Http2BackendPool.choose(List.of(), c));
    }

    @Test
    void closingConnectionsAndOtherTlsSettingsAreNotChosen() throws Exception {
        ClusterConfig plain = cluster("");
        ClusterConfig tls = cluster("upstream-tls { insecure-skip-verify = true }");
        Http2BackendConnection retired = ready(plain, 10);
        retired.retire();
        assertEquals(0, retired.room());
        Http2BackendConnection other = ready(tls, 10);
        assertNull(Http2BackendPool.choose(List.of(retired, other), plain));
        assertSame(other, Http2BackendPool.choose(List.of(retired, other), tls));
    }

    @Test
    void settingsSetTheLimitUpToTheStreamsOneConnectionCarries() throws Exception {
        ClusterConfig c = cluster("");
        assertEquals(4, ready(c, 4).room());
        assertEquals(1, ready(c, 0).room());
        assertEquals(Http2BackendPool.MAX_STREAMS_PER_CONNECTION, ready(c, Long.MAX_VALUE).room());
        Http2BackendConnection unlimited = new Http2BackendConnection(pool, backend, c, 100);
        unlimited.onSettings(null);
        assertEquals(Http2BackendPool.MAX_STREAMS_PER_CONNECTION, unlimited.room());
        assertThrows(IllegalArgumentException.class, () -> new Http2BackendConnection(pool, backend, c, 0));
    }

    @Test
    void waitersOfAClosingConnectionFail() throws Exception {
        ClusterConfig c = cluster("");
        Http2BackendConnection conn = new Http2BackendConnection(pool, backend, c, 100);
        Promise<Channel> p = loop.eventLoop().newPromise();
        conn.assign(p);
        conn.retire();
        assertTrue(p.cause() instanceof UnprocessedStreamException, String.valueOf(p.cause()));
        Promise<Channel> late = loop.eventLoop().newPromise();
        conn.assign(late);
        assertTrue(late.isDone() && !late.isSuccess());
    }
}
