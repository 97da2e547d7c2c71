package io.pharos.proxy.tls;

import io.pharos.proxy.config.PharosConfig.TlsConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What building a listener's certificates refuses (files, key pairs) and warns about (validity). */
class CertificateSetTest {
    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki.Leaf ec;
    static TestPki.Leaf ec2;
    static TestPki.Leaf rsa;
    static TestPki.Leaf rsa2;

    @BeforeAll
    static void pki() throws Exception {
        pki = TestPki.create(dir);
        ec = pki.leaf("ec", "ec.example", "ec.example");
        ec2 = pki.leaf("ec2", "ec2.example", "ec2.example");
        rsa = pki.rsaLeaf("rsa", "rsa.example", "rsa.example");
        rsa2 = pki.rsaLeaf("rsa2", "rsa2.example", "rsa2.example");
    }

    private static TlsConfig tls(Path cert, Path key) {
        return new TlsConfig(cert, key, List.of(), Optional.empty(), List.of("TLSv1.3", "TLSv1.2"));
    }

    private static List<String> problems(Path cert, Path key) {
        try {
            CertificateSet.build(tls(cert, key), Alpn.HTTP, Clock.systemUTC());
            return List.of();
        } catch (TlsException e) {
            return e.problems();
        }
    }

    @Test
    void matchingPairsBuildWithoutWarnings() throws Exception {
        assertEquals(List.of(), CertificateSet.build(tls(ec.cert(), ec.key()), Alpn.HTTP, Clock.systemUTC()).warnings());
        assertEquals(List.of(), CertificateSet.build(tls(rsa.cert(), rsa.key()), Alpn.NONE, Clock.systemUTC()).warnings());
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() {
        assertEquals(List.of("tls.key: " + ec2.key() + " and certificate " + ec.cert()
                + ": the key does not belong to the certificate (a signature with the key does not verify with the certificate)"),
                problems(ec.cert(), ec2.key()));
        assertEquals(List.of("tls.key: " + rsa2.key() + " and certificate " + rsa.cert()
                + ": the key does not belong to the certificate (RSA moduli differ)"), problems(rsa.cert(), rsa2.key()));
        assertEquals(List.of("tls.key: " + ec.key() + " and certificate " + rsa.cert()
                + ": the key does not belong to the certificate (EC key, RSA certificate)"), problems(rsa.cert(), ec.key()));
    }

    @Test
    void unreadableAndMalformedFilesAreRefusedNamingTheFile() throws Exception {
        Path missing = dir.resolve("missing.pem");
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
        assertEquals(List.of("tls.certificate: " + missing + ": no such file"), problems(missing, ec.key()));
        assertEquals(List.of("tls.key: " + dir + ": is a directory, not a file"), problems(ec.cert(), dir));
        List<String> badCert = problems(garbage, ec.key());
        assertEquals(1, badCert.size(), badCert.toString());
        assertTrue(badCert.get(0).startsWith("tls.certificate: " + garbage + ": "), badCert.get(0));
        List<String> badKey = problems(ec.cert(), garbage);
        assertEquals(1, badKey.size(), badKey.toString());
        assertTrue(badKey.get(0).startsWith("tls.key: " + garbage + ": "), badKey.get(0));
    }

    @Test
    void aCertificateOutsideItsValidityIsAWarning() throws Exception {
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(30)), ZoneOffset.UTC);
        List<String> expired = CertificateSet.build(tls(ec.cert(), ec.key()), Alpn.HTTP, later).warnings();
        assertEquals(1, expired.size(), expired.toString());
        assertTrue(expired.get(0).startsWith("tls.certificate: " + ec.cert() + ": certificate expired on "), expired.get(0));
        assertTrue(expired.get(0).contains("CN=ec.example"), expired.get(0));
        Clock earlier = Clock.fixed(Instant.now().minus(Duration.ofDays(30)), ZoneOffset.UTC);
        List<String> early = CertificateSet.build(tls(ec.cert(), ec.key()), Alpn.HTTP, earlier).warnings();
        assertEquals(1, early.size(), early.toString());
        assertTrue(early.get(0).contains("certificate is not valid before "), early.get(0));
    }
}
