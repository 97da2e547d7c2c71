package io.pharos.proxy.l7;

import io.netty.channel.Channel;
import io.netty.util.concurrent.Future;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

/**
 * Where an exchange gets the channel it speaks to a backend over, for one event loop and one backend
 * protocol: an HTTP/1.1 keep-alive connection ({@link BackendConnectionPool}) or a stream on a shared
 * HTTP/2 connection ({@link Http2BackendPool}). Either way the channel carries {@code HttpRequest} /
 * {@code HttpContent} out and {@code HttpResponse} / {@code HttpContent} in, and its pipeline ends in an
 * {@link HttpBackendHandler}, so {@link UpstreamTry} drives both alike.
 *
 * <p>Loop-confined: every method runs on the pool's event loop.
 */
interface UpstreamChannels {
    /** A channel ready for an exchange now (an idle pooled connection), or {@code null}. */
    Channel acquire(Backend backend, ClusterConfig cluster);

    /**
     * A channel once one is ready: a new connection, or a new stream on an HTTP/2 connection. A failure
     * means nothing of the request reached the backend (a connect failure, or a connection lost before
     * the stream could be opened), so any request may be retried elsewhere.
     */
    Future<Channel> open(Backend backend, ClusterConfig cluster);

    /** The exchange on {@code ch} completed cleanly: keeps the channel for the next one, or closes it. */
    void release(Backend backend, Channel ch, ClusterConfig cluster);
}
