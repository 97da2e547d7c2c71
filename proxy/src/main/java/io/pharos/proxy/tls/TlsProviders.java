package io.pharos.proxy.tls;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;

import java.util.logging.Logger;

/**
 * Which TLS engine Pharos uses: BoringSSL (netty-tcnative, {@link SslProvider#OPENSSL}) where the native
 * library loads, the JDK's otherwise. Decided once per JVM; the fallback is logged once. Thread-safe.
 */
public final class TlsProviders {
    private static final Logger LOG = Logger.getLogger(TlsProviders.class.getName());
    private static final SslProvider PROVIDER = choose();

    private TlsProviders() {
    }

    /** The provider for every server and client context. */
    public static SslProvider provider() {
        return PROVIDER;
    }

    private static SslProvider choose() {
        if ("jdk".equalsIgnoreCase(System.getProperty("pharos.tls.provider"))) {
            LOG.info("TLS provider: JDK (forced by -Dpharos.tls.provider=jdk)");
            return SslProvider.JDK;
        }
        if (OpenSsl.isAvailable()) {
            LOG.info("TLS provider: " + OpenSsl.versionString());
            return SslProvider.OPENSSL;
        }
        LOG.warning("TLS provider: JDK (netty-tcnative BoringSSL unavailable: " + OpenSsl.unavailabilityCause() + ")");
        return SslProvider.JDK;
    }
}
