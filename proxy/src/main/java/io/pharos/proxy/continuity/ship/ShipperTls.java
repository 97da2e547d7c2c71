package io.pharos.proxy.continuity.ship;

import io.netty.handler.ssl.JdkSslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The JDK {@link SSLContext} a {@link PeerShipper}'s HTTP client uses: the peer's certificate checked
 * against {@code ca-file} (or the JVM's trust store) and, with {@code server-name}, against that name
 * instead of the URL's host (the JDK client checks the URL's host itself otherwise); everything trusted
 * with {@code insecure-skip-verify}; a client certificate and key (PEM, read through Netty's JDK context
 * builder) for mTLS. Built once at construction; reads files.
 */
final class ShipperTls {
    private ShipperTls() {
    }

    static SSLContext context(ShipperSettings s) throws IOException, GeneralSecurityException {
        X509ExtendedTrustManager trust;
        if (s.insecureSkipVerify()) {
            trust = new TrustAll();
        } else {
            X509ExtendedTrustManager chain = chainTrust(s.caFile().orElse(null));
            trust = s.serverName().isPresent() ? new NamedTrust(chain, s.serverName().get()) : chain;
        }
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).trustManager(trust)
                .protocols("TLSv1.3", "TLSv1.2");
        if (s.clientCertificate().isPresent()) {
            b.keyManager(s.clientCertificate().get().toFile(), s.clientKey().orElseThrow().toFile());
        }
        try {
            return ((JdkSslContext) b.build()).context();
        } catch (SSLException | IllegalArgumentException e) {
            throw new SSLException("peer TLS: " + e.getMessage(), e);
        }
    }

    /** The trust manager of the certificates in {@code caFile}, or of the JVM's trust store when null. */
    private static X509ExtendedTrustManager chainTrust(Path caFile) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile == null) {
            tmf.init((KeyStore) null);
        } else {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            Collection<? extends Certificate> cas;
            try (InputStream in = Files.newInputStream(caFile)) {
                cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (cas.isEmpty()) {
                throw new CertificateException("peer.ca-file " + caFile + ": no certificate");
            }
            int i = 0;
            for (Certificate c : cas) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            tmf.init(ks);
        }
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509ExtendedTrustManager from " + tmf.getAlgorithm());
    }

    /** Whether {@code cert} names {@code name}: a DNS subject alternative name (one-label {@code *.} wildcard) or an IP one. */
    static boolean certifies(X509Certificate cert, String name) throws CertificateParsingException {
        Collection<List<?>> sans = cert.getSubjectAlternativeNames();
        if (sans == null) {
            return false;
        }
        String ip = ipLiteral(name);
        String host = name.toLowerCase(Locale.ROOT);
        for (List<?> san : sans) {
            int type = (Integer) san.get(0);
            String value = String.valueOf(san.get(1));
            if (type == 7 && ip != null && ip.equals(ipLiteral(value))) {
                return true;
            }
            if (type == 2 && ip == null && dnsMatches(value.toLowerCase(Locale.ROOT), host)) {
                return true;
            }
        }
        return false;
    }

    private static boolean dnsMatches(String pattern, String host) {
        if (pattern.startsWith("*.")) {
            int dot = host.indexOf('.');
            return dot > 0 && host.substring(dot).equals(pattern.substring(1));
        }
        return pattern.equals(host);
    }

    /** The canonical text of an IP literal, or null when {@code s} is not one (no DNS lookup). */
    private static String ipLiteral(String s) {
        boolean v4 = s.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        if (!v4 && s.indexOf(':') < 0) {
            return null;
        }
        try {
            return InetAddress.getByName(s.startsWith("[") ? s.substring(1, s.length() - 1) : s).getHostAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /**
     * A client-side trust manager: every server check goes to {@link #checkServer} whatever the JDK hands
     * in (its socket or engine variants included, so the JDK adds no host check of its own); client
     * certificates are never taken.
     */
    private abstract static class ServerTrust extends X509ExtendedTrustManager {
        abstract void checkServer(X509Certificate[] certs, String authType) throws CertificateException;

        @Override
        public final void checkServerTrusted(X509Certificate[] certs, String authType) throws CertificateException {
            checkServer(certs, authType);
        }

        @Override
        public final void checkServerTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
            checkServer(certs, authType);
        }

        @Override
        public final void checkServerTrusted(X509Certificate[] certs, String authType, SSLEngine engine) throws CertificateException {
            checkServer(certs, authType);
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] certs, String authType) throws CertificateException {
            throw new CertificateException("a shipper does not take client certificates");
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] certs, String authType, Socket socket) throws CertificateException {
            checkClientTrusted(certs, authType);
        }

        @Override
        public final void checkClientTrusted(X509Certificate[] certs, String authType, SSLEngine engine) throws CertificateException {
            checkClientTrusted(certs, authType);
        }
    }

    /** Checks the chain with a CA trust manager, then that the leaf names {@code name} (not the URL's host). */
    private static final class NamedTrust extends ServerTrust {
        private final X509ExtendedTrustManager chain;
        private final String name;

        NamedTrust(X509ExtendedTrustManager chain, String name) {
            this.chain = chain;
            this.name = name;
        }

        @Override
        void checkServer(X509Certificate[] certs, String authType) throws CertificateException {
            chain.checkServerTrusted(certs, authType);
            if (!certifies(certs[0], name)) {
                throw new CertificateException("peer certificate " + certs[0].getSubjectX500Principal() + " does not name " + name);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return chain.getAcceptedIssuers();
        }
    }

    /** {@code insecure-skip-verify}: any certificate, any name. */
    private static final class TrustAll extends ServerTrust {
        @Override
        void checkServer(X509Certificate[] certs, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
