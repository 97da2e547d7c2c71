package io.pharos.proxy.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.handler.ssl.SslContext;
import io.pharos.health.active.CheckPolicy;
import io.pharos.health.active.HttpCheckSpec;
import io.pharos.health.active.Probe;
import io.pharos.health.active.StatusRange;
import io.pharos.health.passive.OutlierPolicy;
import io.pharos.proxy.config.PharosConfig.ActiveCheckConfig;
import io.pharos.proxy.config.PharosConfig.HealthConfig;
import io.pharos.proxy.config.PharosConfig.InitialState;

import java.net.InetSocketAddress;
import java.util.Optional;

/** Maps the parsed {@code health} config onto the health module's own settings. Stateless. */
final class HealthSettings {
    private HealthSettings() {
    }

    static CheckPolicy checkPolicy(ActiveCheckConfig c) {
        return new CheckPolicy(c.interval(), c.fastInterval(), c.timeout(), c.rise(), c.fall(), c.jitter(),
                c.initialState() == InitialState.PESSIMISTIC ? CheckPolicy.Start.PESSIMISTIC : CheckPolicy.Start.OPTIMISTIC);
    }

    static HttpCheckSpec httpSpec(ActiveCheckConfig c) {
        return new HttpCheckSpec(c.method(), c.path(), c.host(),
                c.expectStatus().stream().map(r -> new StatusRange(r.from(), r.to())).toList(), c.expectBody());
    }

    /** @param sslContext a client context when the cluster's backends speak TLS, else {@code null} */
    static Probe probe(ActiveCheckConfig c, ChannelFactory<? extends Channel> channelFactory, SslContext sslContext) {
        return switch (c.type()) {
            case TCP -> Probe.tcp(channelFactory);
            case HTTP -> Probe.http(httpSpec(c), channelFactory, sslContext);
        };
    }

    /** Where checks go: the backend's address, or the same host on the check {@code port}. */
    static InetSocketAddress checkAddress(ActiveCheckConfig c, InetSocketAddress backend) {
        return c.port() == 0 ? backend : new InetSocketAddress(backend.getAddress(), c.port());
    }

    /** The cluster's outlier policy, or empty when it has no {@code health.passive}. */
    static Optional<OutlierPolicy> outlierPolicy(HealthConfig h) {
        int rise = h.active().map(ActiveCheckConfig::rise).orElse(0);
        return h.passive().map(p -> new OutlierPolicy(p.consecutiveFailures(), p.consecutive5xx(),
                p.baseEjectionTime(), p.maxEjectionTime(), p.maxEjectionPercent(), rise));
    }
}
