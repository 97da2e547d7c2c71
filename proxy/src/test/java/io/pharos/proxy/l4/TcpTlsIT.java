package io.pharos.proxy.l4;

import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.testing.EchoRound;
import io.pharos.proxy.testing.ProxyHarness;
import io.pharos.proxy.testing.TcpEchoBackend;
import io.pharos.proxy.tls.TestPki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS termination on a {@code protocol = tcp} listener over a plaintext echo backend, with real
 * clients (JDK {@code SSLSocket}, {@code openssl s_client}): certificate by SNI, no ALPN negotiated,
 * plaintext clients never reach the backend, byte-exact relay with half-close (close_notify and bare
 * FIN), no splice, idle timeout, certificate reload and a protocol change at reload.
 */
class TcpTlsIT {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Leaf def;
    static TestPki.Leaf a;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
        def = pki.leaf("default", "default.example", "default.example");
        a = pki.leaf("a", "a.example", "a.example");
    }

    /** A tcp listener {@code db} with TLS ({@code cert}/{@code key}, and an SNI certificate for a.example) over the echo backend. */
    private static String config(TcpEchoBackend echo, String protocol, Path cert, Path key, String clusterExtra) {
        return "pharos {\n workers = 2\n listeners = [\n"
                + " { name = db, listen = \"127.0.0.1:0\", protocol = " + protocol + ", cluster = db,\n"
                + "   tls { certificate = \"" + cert + "\", key = \"" + key + "\"\n"
                + "     sni = [ { names = [\"a.example\"], certificate = \"" + a.cert() + "\", key = \"" + a.key() + "\" } ] } } ]\n"
                + " clusters { db { backends = [ { name = echo, address = \"127.0.0.1:" + echo.port() + "\" } ]\n"
                + clusterExtra + " } }\n}\n";
    }

    /** A handshaken client over {@code plain}, offering ALPN h2 and http/1.1, with SNI {@code name} unless null. */
    private static SSLSocket tlsClient(Socket plain, int port, String name) throws Exception {
        SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
        s.setSoTimeout(20_000);
        SSLParameters p = s.getSSLParameters();
        p.setApplicationProtocols(new String[] {"h2", "http/1.1"});
        if (name != null) {
            p.setServerNames(List.of(new SNIHostName(name)));
        }
        s.setSSLParameters(p);
        s.startHandshake();
        return s;
    }

    private static Socket plain(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Everything until EOF; a reset after the last byte (the server closed with bytes unread) ends it too. */
    private static byte[] readUntilEnd(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("no end after " + got.size() + " bytes", e);
        } catch (IOException reset) {
            // ended by a reset
        }
        return got.toByteArray();
    }

    /** Writes {@code msg} and reads exactly its length back. */
    private static String echo(SSLSocket s, String msg) throws IOException {
        s.getOutputStream().write(msg.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return new String(s.getInputStream().readNBytes(msg.length()), StandardCharsets.US_ASCII);
    }

    @Test
    void terminatesTlsWithTheSniCertificateWithoutAlpnAndKeepsPlaintextOut() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup());
            try {
                h.start(config(echo, "tcp", def.cert(), def.key(), ""));
                int port = h.port("db");
                try (SSLSocket s = tlsClient(plain(port), port, "a.example")) {
                    assertTrue(TestPki.peerSubject(s).contains("CN=a.example"), TestPki.peerSubject(s));
                    assertEquals("", s.getApplicationProtocol(), "no ALPN protocol negotiated on a tcp listener");
                    assertEquals("hello", echo(s, "hello"));
                }
                try (SSLSocket s = tlsClient(plain(port), port, null)) {
                    assertTrue(TestPki.peerSubject(s).contains("CN=default.example"), TestPki.peerSubject(s));
                    assertEquals("", s.getApplicationProtocol());
                    assertEquals("again", echo(s, "again"));
                }
                String sClient = TestPki.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port,
                        "-servername", "a.example", "-alpn", "h2,http/1.1"), 30).output();
                assertTrue(sClient.contains("No ALPN negotiated"), sClient);
                assertTrue(sClient.contains("CN = a.example") || sClient.contains("CN=a.example"), sClient);

                // the s_client connection has ended before the backend counters are read
                long bytesBefore = echo.bytes();
                int acceptedBefore = echo.accepted();
                try (Socket s = plain(port)) {
                    s.getOutputStream().write("PING plaintext\r\n".repeat(64).getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    int answered = 0;
                    try {
                        answered = s.getInputStream().readAllBytes().length;
                    } catch (IOException reset) {
                        // a reset is a refusal as well
                    }
                    assertTrue(answered < 16, "no echo for a plaintext client: " + answered + " bytes");
                }
                assertEquals(bytesBefore, echo.bytes(), "nothing of the plaintext client reached the backend");
                assertEquals(acceptedBefore, echo.accepted(), "a failed handshake opens no backend connection");
            } finally {
                echo.close();
            }
        }
    }

    @Test
    void relaysByteExactBothWaysWithHalfCloseAndNeverSplices() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup());
            try {
                h.start(config(echo, "tcp", def.cert(), def.key(), ""));
                int port = h.port("db");
                long splicedBefore = SpliceStats.splicedConnections();
                byte[] payload = EchoRound.payload(8 * 1024 * 1024, 7);
                // round 0: the client ends with close_notify (and FIN); round 1: with a bare FIN
                for (int round = 0; round < 2; round++) {
                    boolean closeNotify = round == 0;
                    Socket plain = plain(port);
                    try (SSLSocket s = tlsClient(plain, port, "a.example")) {
                        byte[] back = EchoRound.run(s.getOutputStream(), s.getInputStream(), payload,
                                closeNotify ? s::shutdownOutput : plain::shutdownOutput, TcpTlsIT::readUntilEnd);
                        if (closeNotify) {
                            // close_notify ends the session both ways (the connection ends, no hang): what
                            // was echoed before it arrived reaches the client, intact
                            assertTrue(back.length <= payload.length, "round 0: " + back.length);
                            assertArrayEquals(Arrays.copyOf(payload, back.length), back, "round 0: a prefix of the echo");
                            continue;
                        }
                        EchoRound.assertEchoedThenBye(payload, back, "round " + round);
                    }
                }
                assertEquals(2, echo.accepted());
                assertEquals(0, SpliceStats.splicedConnections() - splicedBefore, "TLS connections are never spliced");
            } finally {
                echo.close();
            }
        }
    }

    @Test
    void acceptsAProxyHeaderBeforeTheHandshake() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup());
            try {
                // the backend gets a PROXY v1 header with the announced client, which the echo sends back
                h.start(config(echo, "tcp", def.cert(), def.key(), " proxy-protocol { send = v1 }\n")
                        .replace("protocol = tcp, cluster = db,", "protocol = tcp, cluster = db, proxy-protocol { accept = true },"));
                int port = h.port("db");
                Socket plain = plain(port);
                plain.getOutputStream().write("PROXY TCP4 192.0.2.44 127.0.0.1 4321 443\r\n".getBytes(StandardCharsets.US_ASCII));
                plain.getOutputStream().flush();
                try (SSLSocket s = tlsClient(plain, port, "a.example")) {
                    assertTrue(TestPki.peerSubject(s).contains("CN=a.example"), TestPki.peerSubject(s));
                    assertEquals("", s.getApplicationProtocol());
                    String header = "PROXY TCP4 192.0.2.44 ";
                    assertEquals(header, new String(s.getInputStream().readNBytes(header.length()), StandardCharsets.US_ASCII));
                }
            } finally {
                echo.close();
            }
        }
    }

    @Test
    void closesAnIdleTlsConnection() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup());
            try {
                // long enough that a slow first handshake and the echo finish before it; the read below waits up to 20 s
                h.start(config(echo, "tcp", def.cert(), def.key(), " timeouts { idle = 3s }\n"));
                int port = h.port("db");
                try (SSLSocket s = tlsClient(plain(port), port, null)) {
                    assertEquals("ping", echo(s, "ping"));
                    int r;
                    try {
                        r = s.getInputStream().read();
                    } catch (java.net.SocketTimeoutException e) {
                        throw new AssertionError("the idle connection was not closed within 20 s", e);
                    } catch (IOException reset) {
                        r = -1;
                    }
                    assertEquals(-1, r, "the idle connection is closed");
                }
            } finally {
                echo.close();
            }
        }
    }

    @Test
    void reloadSwapsTheCertificateAndAProtocolChangeRebuildsAlpn() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        Files.copy(def.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(def.key(), key, StandardCopyOption.REPLACE_EXISTING);
        TestPki.Leaf next = pki.leaf("next", "next.example", "next.example");
        try (ProxyHarness h = new ProxyHarness()) {
            TcpEchoBackend echo = TcpEchoBackend.start(h.backendGroup());
            try {
                String tcp = config(echo, "tcp", cert, key, "");
                h.start(tcp);
                int port = h.port("db");
                try (SSLSocket old = tlsClient(plain(port), port, null)) {
                    assertTrue(TestPki.peerSubject(old).contains("CN=default.example"));
                    Files.copy(next.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
                    Files.copy(next.key(), key, StandardCopyOption.REPLACE_EXISTING);
                    // the reload path SIGHUP and POST /reload take: same config, files re-read
                    var applied = h.server().applyConfig(ConfigLoader.parse(tcp));
                    assertTrue(applied.ok(), applied.errors().toString());
                    try (SSLSocket s = tlsClient(plain(port), port, null)) {
                        assertTrue(TestPki.peerSubject(s).contains("CN=next.example"), "a new connection gets the new certificate: " + TestPki.peerSubject(s));
                        assertEquals("", s.getApplicationProtocol(), "the reloaded contexts still offer no ALPN");
                        assertEquals("new", echo(s, "new"));
                    }
                    assertEquals("old", echo(old, "old"), "the established connection goes on");
                }

                // the same socket turns into an HTTP listener: its TLS offers h2 now, and back to tcp: nothing
                var toHttp = h.server().applyConfig(ConfigLoader.parse(config(echo, "http", cert, key, "")));
                assertTrue(toHttp.ok(), toHttp.errors().toString());
                assertEquals(port, h.port("db"), "the listener kept its socket");
                try (SSLSocket s = tlsClient(plain(port), port, null)) {
                    assertEquals("h2", s.getApplicationProtocol());
                }
                var toTcp = h.server().applyConfig(ConfigLoader.parse(tcp));
                assertTrue(toTcp.ok(), toTcp.errors().toString());
                try (SSLSocket s = tlsClient(plain(port), port, null)) {
                    assertEquals("", s.getApplicationProtocol());
                    assertEquals("tcp", echo(s, "tcp"));
                }
            } finally {
                echo.close();
            }
        }
    }
}
