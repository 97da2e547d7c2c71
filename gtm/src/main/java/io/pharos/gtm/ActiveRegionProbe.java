package io.pharos.gtm;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.pharos.health.active.HttpCheckSpec;
import io.pharos.health.active.Probe;
import io.pharos.health.active.ProbeResult;
import io.pharos.health.active.StatusRange;

import javax.net.ssl.SSLException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A region probe as one {@code health.active} {@link Probe} attempt on a loop of the sidecar's group,
 * given up (and its connection closed) after the timeout with {@link ProbeResult#TIMEOUT}. Immutable;
 * each attempt is confined to the loop it runs on.
 */
final class ActiveRegionProbe implements RegionProbe {
    private final EventLoopGroup group;
    private final Probe probe;
    private final InetSocketAddress address;
    private final Duration timeout;

    private ActiveRegionProbe(EventLoopGroup group, Probe probe, InetSocketAddress address, Duration timeout) {
        this.group = group;
        this.probe = probe;
        this.address = address;
        this.timeout = timeout;
    }

    static ActiveRegionProbe of(GtmConfig.Probe config, EventLoopGroup group, Duration timeout) throws SSLException {
        return switch (config.type()) {
            case TCP -> {
                var a = config.address().orElseThrow();
                yield new ActiveRegionProbe(group, Probe.tcp(NioSocketChannel::new), new InetSocketAddress(a.host(), a.port()), timeout);
            }
            case HTTP -> http(config, group, timeout);
        };
    }

    private static ActiveRegionProbe http(GtmConfig.Probe config, EventLoopGroup group, Duration timeout) throws SSLException {
        URI url = config.url().orElseThrow();
        boolean tls = "https".equalsIgnoreCase(url.getScheme());
        int port = url.getPort() < 0 ? (tls ? 443 : 80) : url.getPort();
        String host = url.getPort() < 0 ? url.getHost() : url.getHost() + ":" + port;
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        String target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
        List<StatusRange> expect = config.expectStatus().stream().map(s -> new StatusRange(s, s)).toList();
        HttpCheckSpec spec = new HttpCheckSpec("GET", target, Optional.of(host), expect, Optional.empty());
        SslContext ssl = null;
        if (tls) {
            SslContextBuilder b = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
            config.caFile().ifPresent(ca -> b.trustManager(ca.toFile()));
            ssl = b.build();
        }
        return new ActiveRegionProbe(group, Probe.http(spec, NioSocketChannel::new, ssl),
                new InetSocketAddress(url.getHost(), port), timeout);
    }

    @Override
    public CompletableFuture<ProbeResult> probe() {
        CompletableFuture<ProbeResult> result = new CompletableFuture<>();
        EventLoop loop = group.next();
        loop.execute(() -> start(loop, result));
        return result;
    }

    private void start(EventLoop loop, CompletableFuture<ProbeResult> result) {
        assert loop.inEventLoop();
        Probe.Attempt attempt = probe.start(loop, address, result::complete);
        if (result.isDone()) {
            return;
        }
        ScheduledFuture<?> giveUp = loop.schedule(() -> {
            if (result.complete(ProbeResult.TIMEOUT)) {
                attempt.cancel();
            }
        }, timeout.toMillis(), TimeUnit.MILLISECONDS);
        result.whenComplete((r, t) -> giveUp.cancel(false));
    }
}
