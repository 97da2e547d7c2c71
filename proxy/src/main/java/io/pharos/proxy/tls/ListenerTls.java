package io.pharos.proxy.tls;

import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

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
     * Builds every context of {@code config}, offering {@code alpn} (kept for every later
     * {@link #reload}/{@link #prepare}); throws with one line per problem if any file is bad.
     */
    static ListenerTls create(TlsConfig config, Alpn alpn) throws TlsException {
        return new SwappableListenerTls(CertificateSet.build(config, alpn), alpn);
    }

    /** What the contexts offer by ALPN, fixed at {@link #create}. */
    Alpn alpn();

    /**
     * Rebuilds the certificates from {@code config} and swaps them in for new connections. On any
     * problem nothing changes (the old certificates stay) and the problems are returned, one line each;
     * an empty list means the swap happened. Blocks on file I/O: control thread.
     */
    List<String> reload(TlsConfig config);

    /**
     * Builds the certificates of {@code config} without serving them: the returned action swaps them in
     * (for a reload that must check everything before it changes anything). Throws with one line per
     * problem. Blocks on file I/O: control thread.
     */
    Runnable prepare(TlsConfig config) throws TlsException;

    /** A handler for a new client connection, to be first in its pipeline. Event loop. */
    SniHandler newSniHandler();

    /** The context served when the client sends no or an unknown server name (tests, metrics). */
    SslContext defaultContext();
}
