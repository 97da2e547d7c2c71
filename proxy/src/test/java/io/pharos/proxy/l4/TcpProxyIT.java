package io.pharos.proxy.l4;

import io.pharos.proxy.testing.EchoRound;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.TcpEchoBackend;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The L4 relay over real sockets: bytes both ways, half-close, failover on connect failure; with the
 * zero-copy splice relay (the default on epoll) and with the buffered one ({@code splice = false}).
 */
class TcpProxyIT {

    @Test
    void splicedRelaysBothWaysAndPassesHalfCloseOn() throws Exception {
        relayBothWaysAndPassHalfCloseOn(true);
    }

    @Test
    void bufferedRelaysBothWaysAndPassesHalfCloseOn() throws Exception {
        relayBothWaysAndPassHalfCloseOn(false);
    }

    private static void relayBothWaysAndPassHalfCloseOn(boolean splice) throws Exception {
        try (ProxyHarness h = new ProxyHarness(); TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup())) {
            int closedPort;
            try (ServerSocket s = new ServerSocket(0)) {
                closedPort = s.getLocalPort();
            }
            int echoPort = echo.port();
            // a dead backend first in the list: the connect failure is tried on the next backend
            h.start("pharos { listeners = [ { name = db, listen = \"127.0.0.1:0\", protocol = tcp, cluster = db"
                    + (splice ? "" : ", splice = false") + " } ]\n"
                    + " clusters { db { backends = [ { name = dead, address = \"127.0.0.1:" + closedPort + "\" },"
                    + " { name = echo, address = \"127.0.0.1:" + echoPort + "\" } ] } } }");
            long splicedBefore = SpliceStats.splicedConnections();
            byte[] payload = EchoRound.payload(8 * 1024 * 1024, 42);
            for (int round = 0; round < 2; round++) {
                try (Socket s = new Socket("127.0.0.1", h.port("db"))) {
                    s.setSoTimeout(20_000);
                    byte[] back = EchoRound.run(s.getOutputStream(), s.getInputStream(), payload, s::shutdownOutput,
                            InputStream::readAllBytes);
                    EchoRound.assertEchoedThenBye(payload, back, "round " + round);
                }
            }
            assertEquals(2, echo.accepted());
            // the native epoll jar is a dependency on Linux x86_64: no epoll there is a failure, not a skip
            assertTrue(!splice || h.server().transport().isEpoll(), "splice needs epoll, got " + h.server().transport().name());
            assertEquals(splice ? 2 : 0, SpliceStats.splicedConnections() - splicedBefore,
                    "connections relayed with splice");
            var dead = h.server().cluster("db").snapshot().member("dead").backend();
            assertTrue(dead.stats().failures() >= 1, "the refused connect was counted");
        }
    }
}
