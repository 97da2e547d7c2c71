package io.pharos.proxy.server;

import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.testing.ProxyProcess;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.RuntimeHarness;
import io.pharos.proxy.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.pharos.health.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reload as a diff on an in-process proxy: all or nothing, listeners added/moved/removed, backends kept by identity. */
class ConfigApplierIT {
    private RuntimeHarness h;
    private TestBackend b1;
    private TestBackend b2;

    @BeforeEach
    void setUp() throws Exception {
        h = new RuntimeHarness();
        b1 = h.addBackend("b1");
        b2 = h.addBackend("b2");
    }

    @AfterEach
    void tearDown() throws Exception {
        h.close();
    }

    private static String config(String http, String listeners, String backends) {
        return "pharos {\n workers = 2\n admin { listen = \"127.0.0.1:0\" }\n"
                + " shutdown { delay = 0s, drain-timeout = 1s }\n" + http + "\n"
                + " listeners = [\n" + listeners + " ]\n"
                + " clusters { app { backends = [\n" + backends + " ] } }\n}\n";
    }

    private static String oneLoop(String hocon) {
        return hocon.replace("workers = 2", "workers = 1");
    }

    private static String web(int port) {
        return "{ name = web, listen = \"127.0.0.1:" + port + "\", protocol = http, cluster = app }\n";
    }

    private ReloadResult reload(String hocon) throws Exception {
        h.writeConfig(hocon);
        return h.runtime().reloadAsync().get(30, TimeUnit.SECONDS);
    }

    private static int get(RawHttp c) throws IOException {
        return c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read().status();
    }

    private static void assertRefused(int port) {
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "port " + port + " still accepts");
    }

    @Test
    void aPortThatCannotBeBoundFailsTheWholeReloadAndKeepsTheOldConfig() throws Exception {
        int webPort = ProxyProcess.freePort();
        h.start(config("", web(webPort), h.backendsHocon("b1")));
        Cluster app = h.runtime().server().cluster("app");
        long version = app.snapshot().version();
        int extra = ProxyProcess.freePort();
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String next = config("", web(webPort)
                            + "{ name = extra, listen = \"127.0.0.1:" + extra + "\", protocol = http, cluster = app }\n"
                            + "{ name = taken, listen = \"127.0.0.1:" + taken.getLocalPort() + "\", protocol = tcp, cluster = app }\n",
                    h.backendsHocon("b1", "b2").replace("}", ", weight = 5 }"));
            ReloadResult r = reload(next);
            assertFalse(r.ok(), r.toString());
            assertEquals(1, r.errors().size(), r.toString());
            assertTrue(r.errors().get(0).startsWith("pharos.listeners[2].listen: listener taken: cannot bind 127.0.0.1:" + taken.getLocalPort()), r.toString());
        }
        assertEquals(version, app.snapshot().version(), "the cluster was not touched");
        assertEquals(1, app.snapshot().members().size());
        assertEquals(100, app.snapshot().member("b1").weight());
        assertEquals(1, h.runtime().server().listeners().size());
        assertRefused(extra);
        try (RawHttp c = new RawHttp(webPort)) {
            assertEquals(200, get(c));
        }
        assertFalse(h.runtime().lastReload().ok());
    }

    @Test
    void listenersAreAddedMovedAndRemovedWhileOpenConnectionsFinish() throws Exception {
        int p1 = ProxyProcess.freePort();
        int p2 = ProxyProcess.freePort();
        int p3 = ProxyProcess.freePort();
        h.start(config("", web(p1), h.backendsHocon("b1", "b2")));
        try (RawHttp old = new RawHttp(p1)) {
            assertEquals(200, get(old));
            ReloadResult r = reload(config("", web(p2) + "{ name = db, listen = \"127.0.0.1:" + p3 + "\", protocol = tcp, cluster = app }\n",
                    h.backendsHocon("b1", "b2")));
            assertTrue(r.ok(), r.toString());
            assertRefused(p1);
            try (RawHttp moved = new RawHttp(p2)) {
                assertEquals(200, get(moved));
            }
            // the connection accepted by the old socket finishes: one more response, with Connection: close
            RawHttp.Response last = old.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals(200, last.status());
            assertEquals("close", last.header("connection"));
            assertTrue(old.closedByPeer());
        }
        try (RawHttp tcp = new RawHttp(p3)) {
            assertEquals(200, get(tcp));
            ReloadResult r = reload(config("", web(p2), h.backendsHocon("b1", "b2")));
            assertTrue(r.ok(), r.toString());
            assertRefused(p3);
            assertEquals(200, get(tcp), "an open TCP connection of a removed listener keeps working");
            long t0 = System.nanoTime();
            assertTrue(tcp.closedByPeer(), "closed at the drain deadline");
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(9));
        }
    }

    @Test
    void keptBackendsKeepTheirObjectCountersAndPooledConnectionsRemovedOnesClose() throws Exception {
        int port = ProxyProcess.freePort();
        // one loop: backend pools are per loop, and this test follows one pooled connection
        h.start(oneLoop(config("", web(port), h.backendsHocon("b1", "b2"))));
        Cluster app = h.runtime().server().cluster("app");
        Backend before = app.snapshot().member("b1").backend();
        Backend gone = app.snapshot().member("b2").backend();
        try (RawHttp c = new RawHttp(port)) {
            for (int i = 0; i < 10; i++) {
                assertEquals(200, get(c));
            }
        }
        assertTrue(within(Duration.ofSeconds(10), () -> h.runtime().server().idleBackendConnections() == 2));
        long requests = before.stats().requests();
        int b1Connections = b1.connections();

        ReloadResult r = reload(oneLoop(config("", web(port), h.backendsHocon("b1").replace("}", ", weight = 50 }"))));
        assertTrue(r.ok(), r.toString());
        assertSame(before, app.snapshot().member("b1").backend());
        assertEquals(50, app.snapshot().member("b1").weight());
        assertEquals(requests, before.stats().requests());
        assertTrue(gone.isRemoved());
        assertTrue(within(Duration.ofSeconds(10), () -> h.runtime().server().idleBackendConnections() == 1), "b2's pooled connection closed");
        try (RawHttp c = new RawHttp(port)) {
            for (int i = 0; i < 5; i++) {
                assertEquals(200, get(c));
            }
        }
        assertEquals(b1Connections, b1.connections(), "b1's pooled connection was reused");
        assertEquals(requests + 5, before.stats().requests());
    }

    @Test
    void changedHttpSettingsApplyToNewConnectionsOnTheSameSocket() throws Exception {
        int port = ProxyProcess.freePort();
        h.start(config("", web(port), h.backendsHocon("b1")));
        String longLine = "GET /" + "a".repeat(400) + " HTTP/1.1\r\nHost: t\r\n\r\n";
        try (RawHttp c = new RawHttp(port)) {
            assertEquals(200, c.send(longLine).read().status());
        }
        var channel = h.runtime().server().listener("web").channel();
        ReloadResult r = reload(config("http { max-request-line = 256b }", web(port), h.backendsHocon("b1")));
        assertTrue(r.ok(), r.toString());
        assertSame(channel, h.runtime().server().listener("web").channel(), "same socket");
        assertNotNull(h.runtime().server().listener("web").context());
        try (RawHttp c = new RawHttp(port)) {
            assertEquals(414, c.send(longLine).read().status());
        }
    }

    @Test
    void aListenerRenamedOnTheSameAddressKeepsItsSocketAndCountsUnderItsNewName() throws Exception {
        int port = ProxyProcess.freePort();
        h.start(config("", web(port), h.backendsHocon("b1", "b2")));
        try (RawHttp before = new RawHttp(port)) {
            assertEquals(200, get(before));
            ReloadResult r = reload(config("", web(port).replace("name = web,", "name = edge,"), h.backendsHocon("b1", "b2")));
            assertTrue(r.ok(), r.toString());
            assertTrue(r.notes().toString().contains("listener web: renamed edge on the same socket"), r.toString());
            assertEquals(Map.of("edge", "127.0.0.1:" + port), listeners());
            try (RawHttp after = new RawHttp(port)) {
                assertEquals(200, get(after), "the same socket serves under the new name");
            }
            assertEquals(1, h.runtime().server().listenerMetrics().get("edge").connections(), "the new name counts from the rename");
            assertFalse(h.runtime().server().listenerMetrics().containsKey("web"));
            // the connection from before finishes with its next response
            RawHttp.Response last = before.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n").read();
            assertEquals(200, last.status());
            assertEquals("close", last.header("connection"));
        }
    }

    private Map<String, String> listeners() {
        Map<String, String> out = new java.util.TreeMap<>();
        for (ListenerConfig l : h.runtime().server().config().listeners()) {
            out.put(l.name(), h.runtime().server().listener(l.name()).channel().localAddress().toString().replace("/", ""));
        }
        return out;
    }
}
