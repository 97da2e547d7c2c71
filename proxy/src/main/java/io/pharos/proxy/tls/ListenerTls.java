package io.pharos.proxy.tls;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import java.time.Clock;
import java.util.List;

/**
 * The TLS side of one listener: its current certificates (a default and SNI-selected ones) behind one
 * volatile reference, swapped whole by {@link #reload}. Each new client connection gets an
 * {@link SniHandler} that picks its certificate from the set current at its handshake; connections
 * already established keep theirs.
 *
 * <p>{@link #create} and {@link #reload} read files: control thread. {@link #newSniHandler()} runs on
 * event loops.
 */
public interface ListenerTls {

    /**
     * Builds every context of {@code config} for the listener {@code name}, offering {@code alpn} (kept for
     * every later {@link #reload}/{@link #prepare}); throws with one line per problem if any file is bad or
     * a key does not belong to its certificate. Warnings (a certificate outside its validity) are logged.
     */
    static ListenerTls create(String name, TlsConfig config, Alpn alpn) throws TlsException {
        return new SwappableListenerTls(name, SwappableListenerTls.logged(name, CertificateSet.build(config, alpn, Clock.systemUTC())), alpn);
    }

    /**
     * Builds every context of {@code config} as {@link #create} would, serves nothing, and returns the
     * warnings (for {@code pharos check}); throws with one line per problem. Each line starts with the
     * config path relative to the listener ({@code tls.key: ...}). Blocks on file I/O.
     */
    static List<String> check(TlsConfig config, Alpn alpn) throws TlsException {
        return CertificateSet.build(config, alpn, Clock.systemUTC()).warnings();
    }

    /** What the contexts offer by ALPN, fixed at {@link #create}. */
    Alpn alpn();

    /**
     * Rebuilds the certificates from {@code config} and swaps them in for new connections. On any
     * problem nothing changes (the old certificates stay) and the problems are returned, one line each
     * (a key that does not belong to its certificate is one);
     * an empty list means the swap happened. Blocks on file I/O: control thread.
     */
    List<String> reload(TlsConfig config);

    /**
     * Builds the certificates of {@code config} without serving them: the returned action swaps them in
     * (for a reload that must check everything before it changes anything). Throws with one line per
     * problem. Blocks on file I/O: control thread.
     */
    Runnable prepare(TlsConfig config) throws TlsException;

    /**
     * Reports a failed handshake of {@code channel}: one log line per distinct cause per minute, the others
     * counted ({@link HandshakeFailureLog}). Event loop; never throws.
     */
    void handshakeFailed(Channel channel, Throwable cause);

    /** A handler for a new client connection, to be first in its pipeline. Event loop. */
    SniHandler newSniHandler();

    /** The context served when the client sends no or an unknown server name (tests, metrics). */
    SslContext defaultContext();
}
