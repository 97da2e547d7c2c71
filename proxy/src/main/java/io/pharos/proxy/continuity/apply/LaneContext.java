package io.pharos.proxy.continuity.apply;

import io.netty.channel.socket.SocketChannel;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.tls.UpstreamTls;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * What every lane of one {@link Applier} shares: where records go (the clusters by name, their health and
 * TLS), how tries are paced, and where outcomes are counted. Immutable references; the counters are
 * lock-free and written by the lanes' loops.
 *
 * @param clusters      the local cluster of a name, or null when there is none (now)
 * @param tls           client TLS of clusters with {@code upstream-tls}; null when none may have it
 * @param socketChannel the channel class of the lanes' event loops' transport
 */
record LaneContext(
        Function<String, Cluster> clusters,
        ProxyHealth health,
        UpstreamTls tls,
        Class<? extends SocketChannel> socketChannel,
        ApplierSettings settings,
        ApplyWindow window,
        LongAdder applied,
        LongAdder alreadyApplied,
        LongAdder retries) {
}
