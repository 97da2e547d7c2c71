package io.pharos.proxy.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.Mapping;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import java.time.Clock;
import java.util.List;
import java.util.logging.Logger;

/** {@link ListenerTls} over a volatile {@link CertificateSet}; see there for threads. */
final class SwappableListenerTls implements ListenerTls, Mapping<String, SslContext> {
    private static final Logger LOG = Logger.getLogger(SwappableListenerTls.class.getName());
    /** Time a client has from connecting to finishing its handshake (ClientHello included). */
    static final long HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final String name;
    private final Alpn alpn;
    private final HandshakeFailureLog failures;
    /** Written by the control thread on reload; read by event loops at each handshake. */
    private volatile CertificateSet current;

    SwappableListenerTls(String name, CertificateSet initial, Alpn alpn) {
        this.name = name;
        this.current = initial;
        this.alpn = alpn;
        this.failures = new HandshakeFailureLog(name, System::nanoTime, HandshakeFailureLog.INTERVAL, LOG::warning);
    }

    /** {@code set}, after logging its warnings for the listener {@code name}. */
    static CertificateSet logged(String name, CertificateSet set) {
        for (String w : set.warnings()) {
            LOG.warning("listener " + name + ": " + w);
        }
        return set;
    }

    @Override
    public Alpn alpn() {
        return alpn;
    }

    @Override
    public Runnable prepare(TlsConfig config) throws TlsException {
        CertificateSet next = logged(name, CertificateSet.build(config, alpn, Clock.systemUTC()));
        return () -> current = next;
    }

    @Override
    public List<String> reload(TlsConfig config) {
        try {
            prepare(config).run();
            return List.of();
        } catch (TlsException e) {
            LOG.warning("listener " + name + ": TLS reload failed, keeping the old certificates: " + String.join("; ", e.problems()));
            return e.problems();
        }
    }

    @Override
    public void handshakeFailed(Channel channel, Throwable cause) {
        failures.record(channel.remoteAddress(), cause);
    }

    @Override
    public SniHandler newSniHandler() {
        return new SniHandler(this, HANDSHAKE_TIMEOUT_MILLIS);
    }

    @Override
    public SslContext defaultContext() {
        return current.defaultContext();
    }

    @Override
    public SslContext map(String hostname) {
        return current.mapping().map(hostname);
    }
}
