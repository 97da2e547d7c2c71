package io.pharos.proxy.health;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.pharos.health.event.HealthEventPublisher;
import io.pharos.health.passive.OutlierStats;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.l7.retry.RetryBudget;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * The proxy's health: active check sessions for every backend of the attached clusters (spread over the
 * proxy's event loops), passive outlier detection decided on the control thread, their verdicts applied
 * to the {@link Cluster}s ({@code setCheckState}, {@code setEjected}), and a {@code HealthEvent} for every
 * state flip and every cluster-level change, handed to a {@link HealthEventPublisher}.
 *
 * <p>Threads: {@link #attach}, {@link #detach} and {@link #close} on the control thread; the passive
 * recording methods on event loops (lock-free, allocation-free).
 */
public interface ProxyHealth extends AutoCloseable {

    /** How often the decider runs to return backends whose ejection is over. */
    Duration EVALUATION_PERIOD = Duration.ofMillis(100);

    /**
     * @param region         the {@code events.region} stamped on every event
     * @param loops          the proxy's event loops; each check session is pinned to one of them
     * @param channelFactory socket channels of the loops' transport, for probes
     * @param control        the single control thread: verdicts are applied and ejections decided there
     */
    static ProxyHealth create(String region, EventLoopGroup loops, ChannelFactory<? extends Channel> channelFactory,
                              ScheduledExecutorService control, HealthEventPublisher publisher) {
        return new DefaultProxyHealth(region, loops, channelFactory, control, publisher, System::nanoTime,
                System::currentTimeMillis);
    }

    /** No checks, no outlier detection, no events; retries still bounded by a per-cluster budget. */
    static ProxyHealth none() {
        return new NoProxyHealth();
    }

    /** As {@link #create(String, EventLoopGroup, ChannelFactory, ScheduledExecutorService, HealthEventPublisher)}, with clocks. */
    static ProxyHealth create(String region, EventLoopGroup loops, ChannelFactory<? extends Channel> channelFactory,
                              ScheduledExecutorService control, HealthEventPublisher publisher,
                              LongSupplier nanoClock, LongSupplier wallClockMillis) {
        return new DefaultProxyHealth(region, loops, channelFactory, control, publisher, nanoClock, wallClockMillis);
    }

    /**
     * Starts watching a cluster: events for its publications, check sessions for its backends (when it
     * has {@code health.active}), outlier detection (when it has {@code health.passive}). Follows its
     * reloads by itself. Control thread.
     */
    void attach(Cluster cluster);

    /** Stops checking a cluster's backends and forgets it. Control thread. */
    void detach(Cluster cluster);

    /**
     * The outlier stats the request path records into for this backend, or {@code null} when its cluster
     * has no passive checks. Event loops; lock-free.
     */
    OutlierStats outlierStats(Backend backend);

    /** A response head from the backend (event loop). */
    default void onResponse(Backend backend, int status) {
        OutlierStats s = outlierStats(backend);
        if (s != null) {
            s.onResponse(status);
        }
    }

    /** The backend did its part (a TCP connect for L4): the failure streaks end (event loop). */
    default void onSuccess(Backend backend) {
        OutlierStats s = outlierStats(backend);
        if (s != null) {
            s.onSuccess();
        }
    }

    /** A connect failure, a reset or a timeout of the backend (event loop). */
    default void onLocalFailure(Backend backend) {
        OutlierStats s = outlierStats(backend);
        if (s != null) {
            s.onLocalFailure();
        }
    }

    /** The retry budget of a cluster, shared by all loops. Any thread; allocates only on a cluster's first call. */
    RetryBudget retryBudget(String cluster);

    /** Stops every session and the periodic decider. Control thread. */
    @Override
    void close();
}
