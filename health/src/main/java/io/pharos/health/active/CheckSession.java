package io.pharos.health.active;

import io.netty.channel.EventLoop;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;

import java.net.InetSocketAddress;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.random.RandomGenerator;

/**
 * The active checks of one backend, pinned to one event loop: checks are scheduled there with jitter,
 * one at a time, each bounded by the policy's timeout; results go through a rise/fall state machine and
 * out to a {@link CheckListener} on that loop. Time is the loop's {@code ticker()}, so an
 * {@code EmbeddedChannel}'s loop gives a virtual clock.
 */
public interface CheckSession extends AutoCloseable {

    /**
     * Starts checking: the first check runs after a random delay within one interval (which spreads the
     * checks of many backends), later ones after the jittered interval or fast interval. Any thread.
     *
     * @param address where to send checks (the backend's address, or its check port)
     */
    static CheckSession start(EventLoop loop, EndpointId id, InetSocketAddress address, CheckPolicy policy,
                              Probe probe, CheckListener listener) {
        return start(loop, id, address, policy, probe, listener, new SplittableRandom(ThreadLocalRandom.current().nextLong()));
    }

    /** As {@link #start(EventLoop, EndpointId, InetSocketAddress, CheckPolicy, Probe, CheckListener)} with a given random source. */
    static CheckSession start(EventLoop loop, EndpointId id, InetSocketAddress address, CheckPolicy policy,
                              Probe probe, CheckListener listener, RandomGenerator random) {
        EventLoopCheckSession session = new EventLoopCheckSession(loop, id, address, policy, probe, listener, random);
        session.start();
        return session;
    }

    EndpointId id();

    /** The current verdict; any thread. */
    HealthState state();

    /** The last finished check, or {@code null} before the first; any thread. */
    ProbeResult lastResult();

    /** Stops checking and abandons a check in progress (no callbacks afterwards). Any thread. */
    @Override
    void close();
}
