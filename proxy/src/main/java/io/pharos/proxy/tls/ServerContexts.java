package io.pharos.proxy.tls;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import javax.net.ssl.SSLException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * Builds the server {@link SslContext}s of a listener from a read and checked key pair ({@link PemFiles}, {@link KeyMatch}): the configured protocols only
 * (TLS 1.2 and 1.3 by default), session tickets (the engine's default), client-certificate verification
 * when {@code client-ca} is set, and for {@link Alpn#HTTP} HTTP/2-safe ciphers and ALPN {@code h2} then
 * {@code http/1.1} ({@link Alpn#NONE}: no ALPN, the engine's default ciphers).
 * Reads files: control thread only.
 */
final class ServerContexts {
    private ServerContexts() {
    }

    /** A server context serving {@code chain} (leaf first) with {@code key}, already read and checked to match. */
    static SslContext build(X509Certificate[] chain, PrivateKey key, TlsConfig tls, Alpn alpn) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(key, chain);
        b.sslProvider(TlsProviders.provider()).protocols(tls.protocols()).sessionTimeout(300);
        if (alpn == Alpn.HTTP) {
            if (tls.protocols().stream().allMatch(p -> p.equals("TLSv1.2") || p.equals("TLSv1.3"))) {
                // HTTP/2's cipher rules (RFC 9113 9.2.2); a listener that opts into TLS 1.0/1.1 keeps the engine's defaults
                b.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE);
            }
            b.applicationProtocolConfig(new ApplicationProtocolConfig(
                    ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
        }
        if (tls.clientCa().isPresent()) {
            b.trustManager(tls.clientCa().get().toFile()).clientAuth(ClientAuth.REQUIRE);
        }
        return b.build();
    }
}
