package io.pharos.proxy.proxyprotocol;

import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** PROXY protocol v1/v2 accepted on listeners (the real client in X-Forwarded-For) and sent to a cluster's backends. */
class ProxyProtocolIT {

    private static String exchange(int port, byte[] bytes) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(bytes);
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(a);
        o.writeBytes(b);
        return o.toByteArray();
    }

    /** A v2 header: PROXY TCP4 203.0.113.9:6666 -> 127.0.0.1:80. */
    private static byte[] v2Header() {
        byte[] sig = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(sig);
        o.write(0x21);
        o.write(0x11);
        o.write(0);
        o.write(12);
        o.writeBytes(new byte[] {(byte) 203, 0, 113, 9, 127, 0, 0, 1, 0x1a, 0x0a, 0, 80});
        return o.toByteArray();
    }

    @Test
    void httpListenerUsesTheAnnouncedClient() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start("pharos {\n workers = 2\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,"
                    + " proxy-protocol { accept = true } } ]\n clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n");
            byte[] req = "GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
            String v1 = exchange(h.port(), concat("PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n".getBytes(StandardCharsets.US_ASCII), req));
            assertTrue(v1.startsWith("HTTP/1.1 200"), v1);
            assertTrue(v1.toLowerCase().contains("x-forwarded-for: 203.0.113.7"), v1);
            String v2 = exchange(h.port(), concat(v2Header(), req));
            assertTrue(v2.toLowerCase().contains("x-forwarded-for: 203.0.113.9"), v2);
            String none = exchange(h.port(), req);
            assertTrue(!none.startsWith("HTTP/1.1 200"), "a connection without a PROXY header is refused: " + none);
        }
    }

    @Test
    void tcpListenerAcceptsAndTheClusterSendsTheHeader() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> seen = new CompletableFuture<>();
            Thread backend = new Thread(() -> {
                try (Socket s = server.accept()) {
                    s.setSoTimeout(20_000);
                    InputStream in = s.getInputStream();
                    byte[] all = in.readAllBytes();
                    seen.complete(new String(all, StandardCharsets.US_ASCII));
                    OutputStream out = s.getOutputStream();
                    out.write("done".getBytes(StandardCharsets.US_ASCII));
                } catch (Exception e) {
                    seen.completeExceptionally(e);
                }
            });
            backend.setDaemon(true);
            backend.start();
            h.start("pharos { workers = 1\n listeners = [ { name = db, listen = \"127.0.0.1:0\", protocol = tcp, cluster = db,"
                    + " proxy-protocol { accept = true } } ]\n"
                    + " clusters { db { proxy-protocol { send = v1 }, backends = [ { name = b, address = \"127.0.0.1:" + server.getLocalPort() + "\" } ] } } }");
            try (Socket s = new Socket("127.0.0.1", h.port("db"))) {
                s.setSoTimeout(20_000);
                // header and payload in one write: the payload must survive the header parsing
                s.getOutputStream().write("PROXY TCP4 198.51.100.4 127.0.0.1 4444 6432\r\nhello".getBytes(StandardCharsets.US_ASCII));
                s.shutdownOutput();
                assertEquals("done", new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII));
            }
            String got = seen.get(20, TimeUnit.SECONDS);
            int proxyPort = h.port("db");
            assertEquals("PROXY TCP4 198.51.100.4 127.0.0.1 4444 " + proxyPort + "\r\nhello", got);
        }
    }

    @Test
    void httpClusterSendsTheHeaderOnUnpooledConnections() throws Exception {
        try (ProxyHarness h = new ProxyHarness(); ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            java.util.List<String> firstLines = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread backend = new Thread(() -> {
                for (int i = 0; i < 2; i++) {
                    try (Socket s = server.accept()) {
                        s.setSoTimeout(20_000);
                        InputStream in = s.getInputStream();
                        String head = readHead(in);
                        firstLines.add(head.substring(0, head.indexOf("\r\n")));
                        s.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
                        s.getOutputStream().flush();
                        // keep-alive from the backend's side: the proxy must still not reuse this connection
                        s.getInputStream().read();
                    } catch (Exception e) {
                        firstLines.add("error: " + e);
                    }
                }
            });
            backend.setDaemon(true);
            backend.start();
            h.start("pharos {\n workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,"
                    + " proxy-protocol { accept = true } } ]\n clusters { app { proxy-protocol { send = v1 }\n"
                    + " backends = [ { name = b, address = \"127.0.0.1:" + server.getLocalPort() + "\" } ] } }\n}\n");
            try (Socket s = new Socket("127.0.0.1", h.port())) {
                s.setSoTimeout(20_000);
                OutputStream out = s.getOutputStream();
                out.write("PROXY TCP4 203.0.113.5 127.0.0.1 7777 80\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                assertTrue(readResponse(in).endsWith("ok"));
                out.write("GET /b HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                assertTrue(readResponse(in).endsWith("ok"));
            }
            backend.join(20_000);
            int port = h.port();
            assertEquals(java.util.List.of("PROXY TCP4 203.0.113.5 127.0.0.1 7777 " + port, "PROXY TCP4 203.0.113.5 127.0.0.1 7777 " + port), firstLines,
                    "each request on its own backend connection, each starting with the client's PROXY header");
        }
    }

    /** A response head and its two-byte body. */
    private static String readResponse(InputStream in) throws Exception {
        return readHead(in) + new String(in.readNBytes(2), StandardCharsets.US_ASCII);
    }

    /** Up to and with the blank line that ends a head, or to EOF. */
    private static String readHead(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            sb.append((char) c);
        }
        return sb.toString();
    }
}
