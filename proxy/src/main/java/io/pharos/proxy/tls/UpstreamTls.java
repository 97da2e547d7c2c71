package io.pharos.proxy.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.UpstreamTlsConfig;

import javax.net.ssl.SSLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Client TLS contexts for clusters with {@code upstream-tls}: built from the config on the control
 * thread ({@link #prepare}), one per distinct setting, and used on event loops to wrap a new backend
 * connection ({@link #newHandler}). The backend's certificate is verified against {@code ca-file} (or
 * the JVM's trust store) and its name; the name is also sent as SNI. {@code insecure-skip-verify}
 * turns verification off and is logged as a warning. Thread-safe.
 */
public final class UpstreamTls {
    private static final Logger LOG = Logger.getLogger(UpstreamTls.class.getName());

    private final Map<UpstreamTlsConfig, SslContext> contexts = new ConcurrentHashMap<>();
    /** The same settings offering only {@code h2} by ALPN, for clusters with {@code protocol = h2}. */
    private final Map<UpstreamTlsConfig, SslContext> h2Contexts = new ConcurrentHashMap<>();

    private UpstreamTls() {
    }

    /** Builds the contexts the clusters need; throws with one line per problem. Blocks on file I/O: control thread. */
    public static UpstreamTls create(Collection<ClusterConfig> clusters) throws TlsException {
        UpstreamTls t = new UpstreamTls();
        List<String> problems = t.prepare(clusters);
        if (!problems.isEmpty()) {
            throw new TlsException(problems);
        }
        return t;
    }

    /** Builds the contexts of clusters not seen before (e.g. after a reload); returns the problems. Control thread. */
    public List<String> prepare(Collection<ClusterConfig> clusters) {
        List<String> problems = new ArrayList<>();
        for (ClusterConfig c : clusters) {
            if (c.upstreamTls().isEmpty() || contexts.containsKey(c.upstreamTls().get())) {
                continue;
            }
            UpstreamTlsConfig u = c.upstreamTls().get();
            try {
                h2Contexts.put(u, build(u, true));
                contexts.put(u, build(u, false));
                if (u.insecureSkipVerify()) {
                    LOG.warning("cluster " + c.name() + ": upstream-tls.insecure-skip-verify is on; backend certificates are NOT verified");
                }
            } catch (SSLException | RuntimeException e) {
                problems.add("pharos.clusters." + c.name() + ".upstream-tls: " + e.getMessage());
            }
        }
        return problems;
    }

    private static SslContext build(UpstreamTlsConfig u, boolean h2) throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient()
                .sslProvider(TlsProviders.provider())
                .protocols("TLSv1.3", "TLSv1.2");
        if (h2) {
            // the backend must choose h2; what it chose is checked after the handshake
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                    ApplicationProtocolNames.HTTP_2));
        }
        if (u.insecureSkipVerify()) {
            b.trustManager(InsecureTrustManagerFactory.INSTANCE).endpointIdentificationAlgorithm(null);
        } else {
            u.caFile().ifPresent(ca -> b.trustManager(ca.toFile()));
            b.endpointIdentificationAlgorithm("HTTPS");
        }
        return b.build();
    }

    /**
     * A TLS handler for a new connection to {@code backend}: SNI and the verified name are
     * {@code server-name}, else the backend's configured host. Event loop.
     */
    public SslHandler newHandler(UpstreamTlsConfig config, Backend backend, ByteBufAllocator alloc) {
        return newHandler(contexts, config, backend, alloc);
    }

    /** As {@link #newHandler}, offering {@code h2} by ALPN (HTTP/2 backends). Event loop. */
    public SslHandler newH2Handler(UpstreamTlsConfig config, Backend backend, ByteBufAllocator alloc) {
        return newHandler(h2Contexts, config, backend, alloc);
    }

    private static SslHandler newHandler(Map<UpstreamTlsConfig, SslContext> contexts, UpstreamTlsConfig config, Backend backend,
                                         ByteBufAllocator alloc) {
        SslContext ctx = contexts.get(config);
        if (ctx == null) {
            throw new IllegalStateException("upstream TLS context not prepared for " + config);
        }
        String host = config.serverName().orElse(backend.address().host());
        return ctx.newHandler(alloc, host, backend.address().port());
    }
}
