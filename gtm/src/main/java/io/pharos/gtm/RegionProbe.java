package io.pharos.gtm;

import io.netty.channel.EventLoopGroup;
import io.pharos.gtm.GtmConfig.Probe;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One region's probe: {@code http} (GET a URL, expect a status) or {@code tcp} (connect). Probes are
 * non-blocking Netty clients on the sidecar's own event loop group; the future completes on that loop,
 * never exceptionally, within the timeout.
 */
interface RegionProbe {

    /** The outcome of one probe: ok or not, and the reason ({@code status 200}, {@code connect refused}, {@code timeout}). */
    record Result(boolean ok, String reason) {
    }

    CompletableFuture<Result> probe();

    static RegionProbe of(Probe probe, EventLoopGroup group, Duration timeout) {
        return switch (probe.type()) {
            case HTTP -> new HttpRegionProbe(group, probe.url().orElseThrow(), probe.expectStatus(), timeout);
            case TCP -> new TcpRegionProbe(group, probe.address().orElseThrow(), timeout);
        };
    }
}
