package io.pharos.proxy.l7;

import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.WebSocketEcho;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** WebSocket through the HTTP listener: the 101 is passed on, then bytes are relayed both ways; the idle timeout still applies. */
class WebSocketIT {

    @Test
    void echoesThroughTheProxyAndIdlesOut() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); WebSocketEcho ws = WebSocketEcho.start(h.backendGroup())) {
            h.start("pharos {\n workers = 2\n http { idle-timeout = 2s }\n"
                    + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                    + " clusters { app { backends = [ { name = ws, address = \"" + ws.address() + "\" } ] } }\n}\n");
            try (WebSocketEcho.Client client = new WebSocketEcho.Client(h.port())) {
                for (int i = 0; i < 20; i++) {
                    String msg = "hello-" + i + "-" + "x".repeat(i * 500);
                    assertEquals("echo:" + msg, client.echo(msg));
                }
                // nothing moves: the proxy's idle timeout (2 s) ends the relay
                int status = client.closed().get(20, TimeUnit.SECONDS);
                assertTrue(status != 1000 || client.receivedNothingElse(), "closed by the proxy, not by a normal close handshake");
            }
        }
    }
}
