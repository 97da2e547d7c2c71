package io.pharos.proxy.tls;

import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS termination with real clients (curl, openssl s_client): certificate per SNI, old protocols
 * refused, ALPN, mTLS, session resumption, and a certificate swap by reload that new connections see
 * while an established one goes on.
 */
class TlsIT {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Leaf def;
    static TestPki.Leaf a;
    static TestPki.Leaf b;
    static TestPki.Leaf client;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
        def = pki.leaf("default", "default.example", "default.example");
        a = pki.leaf("a", "a.example", "a.example");
        b = pki.leaf("b", "wild.b.example", "*.b.example");
        client = pki.leaf("client", "client-1");
    }

    private static String config(ProxyHarness h, String tlsExtra, String extraListeners) {
        return "pharos {\n workers = 2\n listeners = [\n"
                + " { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                + "   tls { certificate = \"" + def.cert() + "\", key = \"" + def.key() + "\"\n"
                + "     sni = [ { names = [\"a.example\"], certificate = \"" + a.cert() + "\", key = \"" + a.key() + "\" }\n"
                + "             { names = [\"*.b.example\"], certificate = \"" + b.cert() + "\", key = \"" + b.key() + "\" } ]\n"
                + tlsExtra + " } }\n" + extraListeners + " ]\n"
                + " clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n";
    }

    private static TestPki.Result sClient(int port, String... extra) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-brief"));
        cmd.addAll(List.of(extra));
        return TestPki.run(cmd, 30);
    }

    /**
     * s_client willing to speak TLS 1.0/1.1: without the distribution's openssl.cnf (Debian sets
     * MinProtocol = TLSv1.2 there) and at security level 0.
     */
    private static TestPki.Result legacyClient(int port, String version) throws Exception {
        Path emptyConf = dir.resolve("empty-openssl.cnf");
        Files.writeString(emptyConf, "");
        return TestPki.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-brief", version,
                "-cipher", "DEFAULT@SECLEVEL=0"), 30, java.util.Map.of("OPENSSL_CONF", emptyConf.toString()));
    }

    private static String alpn(int port, String offer) throws Exception {
        return TestPki.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-alpn", offer), 30).output();
    }

    private static TestPki.Result curl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        cmd.addAll(List.of(args));
        return TestPki.run(cmd, 30);
    }

    @Test
    void servesTheCertificateTheClientAskedForBySni() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, "", ""));
            int port = h.port();
            assertTrue(sClient(port, "-servername", "a.example").output().contains("CN = a.example"));
            assertTrue(sClient(port, "-servername", "x.b.example").output().contains("CN = wild.b.example"));
            assertTrue(sClient(port, "-servername", "other.example").output().contains("CN = default.example"));
            assertTrue(sClient(port).output().contains("CN = default.example"), "no SNI: the default certificate");
            // curl verifies the chain and the name: only the right certificate passes
            for (String host : List.of("a.example", "x.b.example", "default.example")) {
                TestPki.Result r = curl("--cacert", pki.caCert().toString(), "--resolve", host + ":" + port + ":127.0.0.1",
                        "https://" + host + ":" + port + "/");
                assertEquals(0, r.exit(), r.output());
                assertEquals("b1", r.output());
            }
            TestPki.Result wrong = curl("--cacert", pki.caCert().toString(), "--resolve", "c.example:" + port + ":127.0.0.1",
                    "https://c.example:" + port + "/");
            assertNotEquals(0, wrong.exit(), "a name no certificate covers fails verification: " + wrong.output());
        }
    }

    @Test
    void refusesTls10And11ByDefaultAndNegotiatesAlpn() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            // a second listener that allows TLS 1.1 (with an RSA key: no ECDSA suite of TLS 1.1 is enabled)
            // proves the client below really offers it
            TestPki.Leaf rsa = pki.rsaLeaf("legacy", "legacy.example", "legacy.example");
            String legacy = " { name = legacy, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                    + "   tls { certificate = \"" + rsa.cert() + "\", key = \"" + rsa.key() + "\", protocols = [\"TLSv1.2\", \"TLSv1.1\"] } }\n"
                    // the same RSA certificate with the default protocols: only the protocol setting differs
                    + " { name = modern, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                    + "   tls { certificate = \"" + rsa.cert() + "\", key = \"" + rsa.key() + "\" } }\n";
            h.start(config(h, "", legacy));
            int port = h.port("modern");
            TestPki.Result control = legacyClient(h.port("legacy"), "-tls1_1");
            assertTrue(control.output().contains("Protocol version: TLSv1.1"), "control: " + control.output());
            TestPki.Result v11 = legacyClient(port, "-tls1_1");
            assertFalse(v11.output().contains("Protocol version: TLSv1.1"), v11.output());
            assertNotEquals(0, v11.exit());
            TestPki.Result v10 = legacyClient(port, "-tls1");
            assertNotEquals(0, v10.exit(), v10.output());
            assertNotEquals(0, legacyClient(h.port(), "-tls1_1").exit(), "the EC listener refuses TLS 1.1 too");
            port = h.port();
            assertTrue(sClient(port, "-tls1_2").output().contains("Protocol version: TLSv1.2"));
            assertTrue(sClient(port, "-tls1_3").output().contains("Protocol version: TLSv1.3"));

            assertTrue(alpn(port, "h2,http/1.1").contains("ALPN protocol: h2"));
            assertTrue(alpn(port, "http/1.1").contains("ALPN protocol: http/1.1"));
            String ca = pki.caCert().toString();
            String url = "https://127.0.0.1:" + port + "/";
            TestPki.Result h2 = curl("--http2", "--cacert", ca, "-w", " %{http_version}", url);
            assertEquals("b1 2", h2.output());
            TestPki.Result h11 = curl("--http1.1", "--cacert", ca, "-w", " %{http_version}", url);
            assertEquals("b1 1.1", h11.output());
            TestPki.Result headers = curl("--http2", "--cacert", ca, "https://127.0.0.1:" + port + "/headers");
            assertTrue(headers.output().toLowerCase().contains("x-forwarded-proto: https"), headers.output());
        }
    }

    @Test
    void resumesSessions() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, "", ""));
            Path sess = dir.resolve("session.pem");
            TestPki.Result first = TestPki.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + h.port(),
                    "-tls1_2", "-sess_out", sess.toString()), 30);
            assertTrue(first.output().contains("New, TLSv1.2"), first.output());
            assertTrue(first.output().contains("TLS session ticket lifetime hint"), "resumption by session ticket: " + first.output());
            TestPki.Result second = TestPki.run(List.of("openssl", "s_client", "-connect", "127.0.0.1:" + h.port(),
                    "-tls1_2", "-sess_in", sess.toString()), 30);
            assertTrue(second.output().contains("Reused, TLSv1.2"), second.output());
        }
    }

    @Test
    void requiresAClientCertificateWhenClientCaIsSet() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, " client-ca = \"" + pki.caCert() + "\"\n", ""));
            String url = "https://127.0.0.1:" + h.port() + "/";
            TestPki.Result without = curl("--cacert", pki.caCert().toString(), url);
            assertNotEquals(0, without.exit(), without.output());
            TestPki.Result with = curl("--cacert", pki.caCert().toString(), "--cert", client.cert().toString(),
                    "--key", client.key().toString(), url);
            assertEquals(0, with.exit(), with.output());
            assertEquals("b1", with.output());
        }
    }

    @Test
    void reloadSwapsTheCertificateForNewConnectionsOnly() throws Exception {
        Path cert = dir.resolve("live.pem");
        Path key = dir.resolve("live.key");
        Files.copy(def.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(def.key(), key, StandardCopyOption.REPLACE_EXISTING);
        TestPki.Leaf next = pki.leaf("next", "next.example", "next.example");
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            String hocon = "pharos {\n workers = 2\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                    + " tls { certificate = \"" + cert + "\", key = \"" + key + "\" } } ]\n"
                    + " clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n";
            h.start(hocon);
            try (SSLSocket old = (SSLSocket) pki.clientContext().getSocketFactory().createSocket("127.0.0.1", h.port())) {
                old.setSoTimeout(20_000);
                assertEquals("b1", get(old));
                assertTrue(TestPki.peerSubject(old).contains("default.example"));

                Files.copy(next.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(next.key(), key, StandardCopyOption.REPLACE_EXISTING);
                // the reload path SIGHUP and POST /reload take: same config, files re-read
                var applied = h.server().applyConfig(ConfigLoader.parse(hocon));
                assertTrue(applied.ok(), applied.errors().toString());
                assertTrue(sClient(h.port()).output().contains("CN = next.example"), "a new connection gets the new certificate");

                assertEquals("b1", get(old), "the established connection goes on");
                assertTrue(TestPki.peerSubject(old).contains("default.example"));

                Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
                var rejected = h.server().applyConfig(ConfigLoader.parse(hocon));
                assertFalse(rejected.ok(), "a bad certificate file fails the reload");
                List<String> errors = rejected.errors();
                assertEquals(1, errors.size(), errors.toString());
                assertTrue(errors.get(0).startsWith("pharos.listeners[0].tls.certificate: "), errors.get(0));
                assertTrue(errors.get(0).contains(cert.toString()), errors.get(0));
                assertTrue(sClient(h.port()).output().contains("CN = next.example"), "a bad file keeps the previous certificate");
            }
        }
    }

    @Test
    void reloadWithAKeyOfAnotherCertificateIsRefusedAndTheOldCertificateServes() throws Exception {
        Path cert = dir.resolve("pair.pem");
        Path key = dir.resolve("pair.key");
        Files.copy(def.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(def.key(), key, StandardCopyOption.REPLACE_EXISTING);
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            String hocon = "pharos {\n workers = 1\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                    + " tls { certificate = \"" + cert + "\", key = \"" + key + "\" } } ]\n"
                    + " clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n";
            h.start(hocon);
            // a new certificate whose key was not copied with it: BoringSSL would load the pair and fail every handshake
            Files.copy(a.cert(), cert, StandardCopyOption.REPLACE_EXISTING);
            var rejected = h.server().applyConfig(ConfigLoader.parse(hocon));
            assertFalse(rejected.ok(), "a key of another certificate fails the reload");
            assertEquals(1, rejected.errors().size(), rejected.errors().toString());
            String error = rejected.errors().get(0);
            assertTrue(error.startsWith("pharos.listeners[0].tls.key: " + key + " and certificate " + cert + ": the key does not belong to the certificate"), error);
            try (SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory().createSocket("127.0.0.1", h.port())) {
                s.setSoTimeout(20_000);
                assertEquals("b1", get(s), "handshakes go on with the old certificate");
                assertTrue(TestPki.peerSubject(s).contains("default.example"), TestPki.peerSubject(s));
            }
        }
    }

    /** A log handler that adds every record to {@code records}. */
    private static Handler capture(List<LogRecord> records) {
        return new Handler() {
            @Override
            public void publish(LogRecord r) {
                records.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void aTlsListenerIsLoggedAsHttps() throws Exception {
        List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handler capture = capture(records);
        Logger server = Logger.getLogger("io.pharos.proxy.server");
        server.addHandler(capture);
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, "", ", { name = plain, listen = \"127.0.0.1:0\", protocol = http, cluster = app }"));
            String started = records.stream().map(LogRecord::getMessage).filter(m -> m.startsWith("pharos started")).findFirst().orElseThrow();
            assertTrue(started.contains("web=https://127.0.0.1:"), started);
            assertTrue(started.contains("plain=http://127.0.0.1:"), started);
        } finally {
            server.removeHandler(capture);
        }
    }

    @Test
    void failedHandshakesLogOneLinePerCauseWithoutStacks() throws Exception {
        List<LogRecord> records = new java.util.concurrent.CopyOnWriteArrayList<>();
        Handler capture = capture(records);
        Logger pharos = Logger.getLogger("io.pharos.proxy.tls");
        Logger netty = Logger.getLogger("io.netty");
        pharos.addHandler(capture);
        netty.addHandler(capture);
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start(config(h, "", ""));
            for (int i = 0; i < 20; i++) {
                // plaintext HTTP to the TLS port: the same failure twenty times
                try (java.net.Socket s = new java.net.Socket("127.0.0.1", h.port())) {
                    s.setSoTimeout(20_000);
                    s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    while (in.read() >= 0) {
                        // until the proxy closes it
                    }
                }
            }
            List<LogRecord> failures = records.stream().filter(r -> r.getMessage() != null && r.getMessage().contains("TLS handshake failed")).toList();
            assertEquals(1, failures.size(), failures.stream().map(LogRecord::getMessage).toList().toString());
            assertTrue(failures.get(0).getMessage().startsWith("listener web: TLS handshake failed: NotSslRecordException"), failures.get(0).getMessage());
            assertTrue(records.stream().allMatch(r -> r.getThrown() == null), "no stack trace is logged");
        } finally {
            pharos.removeHandler(capture);
            netty.removeHandler(capture);
        }
    }

    @Test
    void acceptsAProxyHeaderBeforeTheHandshake() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            String hocon = "pharos {\n workers = 2\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,\n"
                    + " proxy-protocol { accept = true }, tls { certificate = \"" + def.cert() + "\", key = \"" + def.key() + "\" } } ]\n"
                    + " clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n";
            h.start(hocon);
            try (java.net.Socket plain = new java.net.Socket("127.0.0.1", h.port())) {
                plain.getOutputStream().write("PROXY TCP4 192.0.2.44 127.0.0.1 4321 443\r\n".getBytes(StandardCharsets.US_ASCII));
                plain.getOutputStream().flush();
                try (SSLSocket s = (SSLSocket) pki.clientContext().getSocketFactory().createSocket(plain, "127.0.0.1", h.port(), true)) {
                    s.setSoTimeout(20_000);
                    OutputStream out = s.getOutputStream();
                    out.write("GET /headers HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    String resp = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                    assertTrue(resp.contains("x-forwarded-for: 192.0.2.44"), resp);
                    assertTrue(resp.contains("x-forwarded-proto: https"), resp);
                }
            }
        }
    }

    /** One keep-alive GET / on {@code s}; returns the body (the backend's name). */
    private static String get(SSLSocket s) throws Exception {
        OutputStream out = s.getOutputStream();
        out.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new java.io.EOFException("connection closed; got " + head);
            }
            head.append((char) c);
        }
        int len = -1;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                len = Integer.parseInt(line.substring(15).trim());
            }
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 200"), head.toString());
        return new String(in.readNBytes(len), StandardCharsets.UTF_8);
    }
}
