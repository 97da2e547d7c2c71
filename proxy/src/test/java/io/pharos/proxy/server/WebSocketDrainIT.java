package io.pharos.proxy.server;

import io.pharos.health.testing.Await;
import io.pharos.proxy.admin.AdminActions;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.TestBackend;
import io.pharos.proxy.testing.WebSocketEcho;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Upgraded connections (WebSockets) under every kind of drain: a reload that removes their listener,
 * SIGTERM's graceful shutdown, and an operator drain of their backend. Each waits for the relay while
 * it lives and closes it, on both sides, at its deadline.
 */
class WebSocketDrainIT {

    private static String config(String listeners, String wsAddress, String plainAddress, String drainTimeout) {
        return "pharos {\n workers = 2\n shutdown { delay = 0s, drain-timeout = " + drainTimeout + " }\n"
                + " listeners = [\n" + listeners + " ]\n"
                + " clusters {\n"
                + "  ws { backends = [ { name = echo, address = \"" + wsAddress + "\" } ] }\n"
                + "  plain { backends = [ { name = p, address = \"" + plainAddress + "\" } ] }\n"
                + " }\n}\n";
    }

    private static final String BOTH = " { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = ws }\n"
            + " { name = api, listen = \"127.0.0.1:0\", protocol = http, cluster = plain }\n";

    @Test
    void reloadRemovingTheListenerKeepsTheWebSocketUntilTheDrainDeadlineThenClosesBothSides() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); WebSocketEcho echo = WebSocketEcho.start(h.backendGroup())) {
            TestBackend plain = h.addBackend("p");
            h.start(config(BOTH, echo.address(), plain.address(), "8s"));
            try (WebSocketEcho.Client ws = new WebSocketEcho.Client(h.port("web"));
                 RawHttp idle = new RawHttp(h.port("api"))) {
                assertEquals("echo:before", ws.echo("before"));
                idle.send("GET /status/200 HTTP/1.1\r\nHost: x\r\n\r\n");
                assertEquals(200, idle.read().status());

                long t0 = System.nanoTime();
                String next = config(" { name = other, listen = \"127.0.0.1:0\", protocol = http, cluster = ws }\n",
                        echo.address(), plain.address(), "8s");
                assertTrue(h.server().applyConfig(ConfigLoader.parse(next)).ok());

                // the relay goes on through the reload
                assertEquals("echo:after reload", ws.echo("after reload"));
                assertEquals(1, echo.openConnections());

                // at the drain deadline (8 s) the relay is closed: client and backend both see it end
                ws.closed().get(30, TimeUnit.SECONDS);
                long closedAfter = System.nanoTime() - t0;
                assertTrue(closedAfter >= TimeUnit.MILLISECONDS.toNanos(7_500), "closed only at the deadline, was " + closedAfter / 1_000_000 + " ms");
                Await.until(Duration.ofSeconds(20), "backend side of the WebSocket closed", () -> echo.openConnections() == 0);
                // so is the keep-alive connection that sent nothing more
                assertTrue(idle.closedByPeer(), "idle keep-alive connection of the removed listener closed at the deadline");
            }
        }
    }

    @Test
    void shutdownWaitsForAWebSocketThatEndsWithinTheDrainTimeout() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); WebSocketEcho echo = WebSocketEcho.start(h.backendGroup())) {
            TestBackend plain = h.addBackend("p");
            ProxyRuntime runtime = ProxyRuntime.start(ConfigLoader.parse(config(BOTH, echo.address(), plain.address(), "60s")));
            try {
                int port = runtime.server().listener("web").localAddress().getPort();
                try (WebSocketEcho.Client ws = new WebSocketEcho.Client(port)) {
                    assertEquals("echo:one", ws.echo("one"));
                    CompletableFuture<Long> shutdown = shutdownInBackground(runtime);
                    Await.until(Duration.ofSeconds(20), "listener closed by the shutdown", () -> refuses(port));
                    assertFalse(shutdown.isDone(), "shutdown waits for the open WebSocket");
                    assertEquals("echo:during shutdown", ws.echo("during shutdown"));

                    long closedAt = System.nanoTime();
                    ws.sendClose();
                    assertEquals(1000, ws.closed().get(20, TimeUnit.SECONDS));
                    long exitedAt = shutdown.get(30, TimeUnit.SECONDS);
                    assertTrue(exitedAt - closedAt < TimeUnit.SECONDS.toNanos(20),
                            "shutdown ended after the WebSocket, long before the 60 s drain timeout");
                }
            } finally {
                runtime.close();
            }
        }
    }

    @Test
    void shutdownClosesAWebSocketStillOpenAtTheDrainTimeout() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); WebSocketEcho echo = WebSocketEcho.start(h.backendGroup())) {
            TestBackend plain = h.addBackend("p");
            ProxyRuntime runtime = ProxyRuntime.start(ConfigLoader.parse(config(BOTH, echo.address(), plain.address(), "2s")));
            try {
                int port = runtime.server().listener("web").localAddress().getPort();
                try (WebSocketEcho.Client ws = new WebSocketEcho.Client(port)) {
                    assertEquals("echo:one", ws.echo("one"));
                    long t0 = System.nanoTime();
                    shutdownInBackground(runtime).get(30, TimeUnit.SECONDS);
                    assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1_900), "waited for the drain timeout");
                    ws.closed().get(20, TimeUnit.SECONDS);
                    Await.until(Duration.ofSeconds(20), "backend side of the WebSocket closed", () -> echo.openConnections() == 0);
                }
            } finally {
                runtime.close();
            }
        }
    }

    @Test
    void operatorDrainKeepsTheWebSocketAndItsTimeoutClosesIt() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); WebSocketEcho echo = WebSocketEcho.start(h.backendGroup())) {
            TestBackend plain = h.addBackend("p");
            ProxyRuntime runtime = ProxyRuntime.start(ConfigLoader.parse(config(BOTH, echo.address(), plain.address(), "30s")));
            try {
                int port = runtime.server().listener("web").localAddress().getPort();
                try (WebSocketEcho.Client ws = new WebSocketEcho.Client(port)) {
                    assertEquals("echo:one", ws.echo("one"));
                    assertEquals(AdminActions.Outcome.OK, runtime.drainAsync("ws", "echo", Optional.empty()).get(10, TimeUnit.SECONDS));
                    // drained without a deadline: in-flight work, the relay included, goes on
                    assertEquals("echo:drained", ws.echo("drained"));
                    try (RawHttp fresh = new RawHttp(port)) {
                        fresh.send("GET /ws HTTP/1.1\r\nHost: x\r\n\r\n");
                        assertEquals(503, fresh.read().status(), "no new requests to the drained backend");
                    }
                    assertEquals(AdminActions.Outcome.OK,
                            runtime.drainAsync("ws", "echo", Optional.of(Duration.ofMillis(500))).get(10, TimeUnit.SECONDS));
                    ws.closed().get(20, TimeUnit.SECONDS);
                    Await.until(Duration.ofSeconds(20), "backend side of the WebSocket closed", () -> echo.openConnections() == 0);
                }
            } finally {
                runtime.close();
            }
        }
    }

    private static CompletableFuture<Long> shutdownInBackground(ProxyRuntime runtime) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                runtime.shutdownGracefully();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return System.nanoTime();
        });
    }

    private static boolean refuses(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
