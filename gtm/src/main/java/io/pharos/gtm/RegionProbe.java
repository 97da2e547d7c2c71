package io.pharos.gtm;

import io.netty.channel.EventLoopGroup;
import io.pharos.health.active.ProbeResult;
import io.pharos.gtm.GtmConfig.Probe;

import javax.net.ssl.SSLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One region's probe: {@code http} (GET a URL, over TLS for {@code https://}, expect a status) or
 * {@code tcp} (connect), run by the {@code health.active} probes the proxy checks its backends with, so
 * both report the same reasons ({@code ok}, {@code connect refused}, {@code timeout}, {@code status 500},
 * {@code tls: ...}). Probes are non-blocking Netty clients on the sidecar's own event loop group; the
 * future completes on that loop, never exceptionally, within the timeout.
 */
interface RegionProbe {

    CompletableFuture<ProbeResult> probe();

    /**
     * Resolves the probe's host and, for {@code https}, reads its trusted certificates: may block, build
     * on the sidecar's main or control thread.
     *
     * @throws SSLException when the {@code ca-file} cannot be used
     */
    static RegionProbe of(Probe probe, EventLoopGroup group, Duration timeout) throws SSLException {
        return ActiveRegionProbe.of(probe, group, timeout);
    }
}
