package io.pharos.proxy;

import io.pharos.proxy.tls.TestPki;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code pharos check}: TLS contexts built, backend names resolved, GTM configs recognised, plurals, one file name. */
class ConfigCheckTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Leaf web;
    static TestPki.Leaf other;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
        web = pki.leaf("web", "web.example", "web.example");
        other = pki.leaf("other", "other.example", "other.example");
    }

    /** Runs the check on {@code hocon} with the host names in {@code resolvable} resolving; the exit code. */
    private int check(String name, String hocon, Set<String> resolvable) throws Exception {
        Path file = Files.writeString(dir.resolve(name), hocon);
        return new ConfigCheck(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                resolvable::contains).run(file);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static String config(String tls, String backendHost) {
        return "pharos {\n listeners = [ { name = web, listen = \"127.0.0.1:8443\", protocol = http, cluster = app" + tls + " } ]\n"
                + " clusters { app { backends = [ { name = a, address = \"" + backendHost + ":9001\" } ] } }\n}\n";
    }

    private static String tls(Path cert, Path key) {
        return ", tls { certificate = \"" + cert + "\", key = \"" + key + "\" }";
    }

    @Test
    void oneOfEachIsSingular() throws Exception {
        assertEquals(0, check("one.conf", config(tls(web.cert(), web.key()), "127.0.0.1"), Set.of("127.0.0.1")), err());
        assertEquals("pharos: " + dir.resolve("one.conf") + " is valid (1 listener, 1 cluster, 1 backend)\n", out());
        assertEquals("", err());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        assertEquals(2, check("mismatch.conf", config(tls(web.cert(), other.key()), "127.0.0.1"), Set.of("127.0.0.1")), err());
        List<String> lines = err().lines().toList();
        assertEquals("pharos: invalid config " + dir.resolve("mismatch.conf") + " (1 problem):", lines.get(0));
        assertEquals("  pharos.listeners[0].tls.key: " + other.key() + " and certificate " + web.cert()
                + ": the key does not belong to the certificate (a signature with the key does not verify with the certificate)", lines.get(1));
        assertEquals(2, lines.size(), err());
        assertEquals("", out());
    }

    @Test
    void anUnreadableKeyIsRefused() throws Exception {
        // a directory passes the loader's "exists and readable" and fails as a key (tests run as root, where modes do not refuse)
        assertEquals(2, check("unreadable.conf", config(tls(web.cert(), dir), "127.0.0.1"), Set.of("127.0.0.1")), err());
        assertTrue(err().contains("  pharos.listeners[0].tls.key: " + dir + ": is a directory, not a file"), err());
    }

    @Test
    void aBackendHostThatDoesNotResolveIsAWarning() throws Exception {
        assertEquals(0, check("dns.conf", config("", "app.invalid"), Set.of()), err());
        assertEquals("pharos: warning: pharos.clusters.app.backends[0].address: host 'app.invalid' does not resolve"
                + " (the proxy resolves it at start and at each reload; until a reload after it resolves, connections to this backend fail)\n", err());
        assertTrue(out().endsWith("is valid (1 listener, 1 cluster, 1 backend; 1 warning)\n"), out());
    }

    @Test
    void aGtmConfigIsNamedAsSuch() throws Exception {
        assertEquals(2, check("gtm.conf", "gtm {\n  names = [\"app.example.test\"]\n}\n", Set.of()), err());
        assertTrue(err().contains("  this is a GTM sidecar config (top-level gtm { ... }, no pharos { ... }): check it with"
                + " bin/pharos gtm check -c " + dir.resolve("gtm.conf")), err());
    }

    @Test
    void aSyntaxErrorNamesTheFileOnce() throws Exception {
        Path file = dir.resolve("syntax.conf");
        assertEquals(2, check("syntax.conf", "pharos {\n  listeners = [ { name = a, listen = \"127.0.0.1:1\", cluster = c\n}\n", Set.of()), err());
        assertEquals(1, err().split(java.util.regex.Pattern.quote(file.toString()), -1).length - 1, err());
        assertTrue(err().contains("\n  line 4: "), err());
    }
}
