package io.pharos.proxy.l7;

import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An upgraded HTTP/1.1 connection (a raw {@code Upgrade}, as a WebSocket is after its 101) passes a
 * half-close on, each way, like the TCP relay: the side that sent FIN still gets the other's answer,
 * then EOF. Bytes the backend sent with its 101 reach the client. Real sockets on loopback.
 */
class UpgradeHalfCloseIT {
    private static final String UPGRADE = "GET /raw HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: pharos-test\r\n\r\n";
    private static final String SWITCH = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: pharos-test\r\n\r\n";

    /** What the backend does on the upgraded connection; returns what it read from the client. */
    private interface Script {
        String run(Socket s) throws IOException;
    }

    /**
     * A one-connection backend: answers the upgrade request with a 101 and {@code hello\n} in the same
     * write, then runs {@code script}; the future completes with what the script read.
     */
    private static CompletableFuture<String> backend(ServerSocket server, Script script) {
        CompletableFuture<String> read = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(20_000);
                head(s.getInputStream());
                s.getOutputStream().write((SWITCH + "hello\n").getBytes(StandardCharsets.US_ASCII));
                read.complete(script.run(s));
            } catch (Throwable e) {
                read.completeExceptionally(e);
            }
        }, "upgrade-backend");
        t.setDaemon(true);
        t.start();
        return read;
    }

    /** Reads one HTTP head, up to and with its empty line, and returns it. */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1) {
            b.write(c);
            String s = b.toString(StandardCharsets.US_ASCII);
            if (s.endsWith("\r\n\r\n")) {
                return s;
            }
        }
        throw new IOException("EOF in a head: " + b.toString(StandardCharsets.US_ASCII));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** Connects through the proxy and upgrades; returns the client socket past the 101 head and {@code hello\n}. */
    private static Socket upgraded(ProxyHarness h) throws IOException {
        Socket c = new Socket("127.0.0.1", h.port());
        c.setSoTimeout(20_000);
        c.getOutputStream().write(UPGRADE.getBytes(StandardCharsets.US_ASCII));
        String head = head(c.getInputStream());
        assertTrue(head.startsWith("HTTP/1.1 101 "), head);
        assertEquals("hello\n", text(c.getInputStream().readNBytes(6)), "the bytes the backend sent with its 101");
        return c;
    }

    private static String config(ServerSocket server) {
        return "pharos {\n workers = 2\n"
                + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters { app { backends = [ { name = raw, address = \"127.0.0.1:" + server.getLocalPort() + "\" } ] } }\n}\n";
    }

    @Test
    void theClientsFinReachesTheBackendWhichStillAnswers() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> backendRead = backend(server, s -> {
                String got = text(s.getInputStream().readAllBytes());
                s.getOutputStream().write(("got:" + got).getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                return got;
            });
            h.start(config(server));
            try (Socket c = upgraded(h)) {
                c.getOutputStream().write("ping-1 ping-2".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                assertEquals("got:ping-1 ping-2", text(c.getInputStream().readAllBytes()),
                        "the backend saw EOF, answered after it, and the client got the answer then EOF");
            }
            assertEquals("ping-1 ping-2", backendRead.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void theBackendsFinReachesTheClientWhichStillSends() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> backendRead = backend(server, s -> {
                s.getOutputStream().write("server done".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                return text(s.getInputStream().readAllBytes());
            });
            h.start(config(server));
            try (Socket c = upgraded(h)) {
                assertEquals("server done", text(c.getInputStream().readAllBytes()), "the backend's bytes, then its FIN as EOF");
                c.getOutputStream().write("late words".getBytes(StandardCharsets.US_ASCII));
                c.shutdownOutput();
                assertEquals("late words", backendRead.get(20, TimeUnit.SECONDS), "the half-closed relay still carried the client's bytes");
            }
        }
    }
}
