package io.pharos.proxy.tls;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away PKI for tests, made at test time with the {@code openssl} CLI (no key is committed):
 * a CA and leaf certificates (EC P-256) signed by it, with the names and addresses given.
 */
public final class TestPki {
    private final Path dir;
    private final Path caCert;
    private final Path caKey;

    private TestPki(Path dir) throws Exception {
        this.dir = dir;
        this.caCert = dir.resolve("ca.pem");
        this.caKey = dir.resolve("ca.key");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", caKey.toString(), "-out", caCert.toString(), "-days", "2", "-subj", "/CN=Pharos Test CA");
    }

    public static TestPki create(Path dir) throws Exception {
        return new TestPki(dir);
    }

    public Path caCert() {
        return caCert;
    }

    public Path dir() {
        return dir;
    }

    /** A JDK client TLS context that trusts this CA only. */
    public SSLContext clientContext() throws Exception {
        X509Certificate ca;
        try (InputStream in = Files.newInputStream(caCert)) {
            ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A leaf certificate {@code NAME.pem} / {@code NAME.key} for the common name {@code cn} and the given DNS names (plus 127.0.0.1). */
    public Leaf leaf(String name, String cn, String... dnsNames) throws Exception {
        return leaf(List.of("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"), name, cn, dnsNames);
    }

    /** As {@link #leaf(String, String, String...)} with an RSA 2048 key (TLS 1.0/1.1 cipher suites need one). */
    public Leaf rsaLeaf(String name, String cn, String... dnsNames) throws Exception {
        return leaf(List.of("-newkey", "rsa:2048"), name, cn, dnsNames);
    }

    private Leaf leaf(List<String> keyArgs, String name, String cn, String... dnsNames) throws Exception {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        Path ext = dir.resolve(name + ".ext");
        StringBuilder san = new StringBuilder("subjectAltName=IP:127.0.0.1");
        for (String d : dnsNames) {
            san.append(",DNS:").append(d);
        }
        Files.writeString(ext, san + "\nextendedKeyUsage=serverAuth,clientAuth\n");
        List<String> req = new ArrayList<>(List.of("req", "-new"));
        req.addAll(keyArgs);
        req.addAll(List.of("-nodes", "-keyout", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + cn));
        openssl(req.toArray(String[]::new));
        openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "2", "-extfile", ext.toString());
        return new Leaf(cert, key);
    }

    public record Leaf(Path cert, Path key) {
    }

    /** The subject of the certificate the server of {@code s} presented. */
    public static String peerSubject(SSLSocket s) throws Exception {
        return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }

    static void openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Result r = run(cmd, 30);
        if (r.exit != 0) {
            throw new IOException("openssl failed: " + cmd + "\n" + r.output);
        }
    }

    /** Output (stdout and stderr merged) and exit code of a finished process. */
    public record Result(int exit, String output) {
    }

    /** Runs {@code cmd} with stdin from /dev/null, waits up to {@code seconds}, kills it past that. */
    public static Result run(List<String> cmd, int seconds) throws Exception {
        return run(cmd, seconds, java.util.Map.of());
    }

    /** As {@link #run(List, int)}, with extra environment variables. */
    public static Result run(List<String> cmd, int seconds, java.util.Map<String, String> env) throws Exception {
        File out = File.createTempFile("pharos-proc", ".out");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(out)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                throw new IOException("timed out: " + cmd);
            }
            return new Result(p.exitValue(), Files.readString(out.toPath(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(out.toPath());
        }
    }
}
