package io.pharos.health.active;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.pharos.health.EndpointId;
import io.pharos.health.HealthState;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * {@link CheckSession} confined to one event loop: every method but the public getters and
 * {@link #close()} runs on {@link #loop}. A generation number ties each result to its check, so a late
 * result of an abandoned (timed out or closed) check is ignored.
 */
final class EventLoopCheckSession implements CheckSession {
    private static final System.Logger LOG = System.getLogger(EventLoopCheckSession.class.getName());

    private final EventLoop loop;
    private final EndpointId id;
    private final InetSocketAddress address;
    private final CheckPolicy policy;
    private final Probe probe;
    private final CheckListener listener;
    private final RandomGenerator random;
    private final RiseFallStateMachine machine;
    private final long intervalNanos;
    private final long fastIntervalNanos;
    private final long timeoutNanos;

    /** Written by the loop: the generation of the check in progress; a result of another generation is stale. */
    private long generation;
    /** Written by the loop: whether a check of {@link #generation} awaits its result. */
    private boolean awaiting;
    /** Written by the loop: the probe in progress, to cancel on timeout or close. */
    private Probe.Attempt attempt;
    /** Written by the loop: the timeout of the check in progress. */
    private ScheduledFuture<?> timeoutTask;
    /** Written by the loop: the next scheduled check. */
    private ScheduledFuture<?> nextTask;
    /** Written once by {@link #close()} (any thread); read by the loop. */
    private volatile boolean closed;
    /** Written by the loop; read by any thread. */
    private volatile HealthState state;
    /** Written by the loop; read by any thread. */
    private volatile ProbeResult lastResult;

    EventLoopCheckSession(EventLoop loop, EndpointId id, InetSocketAddress address, CheckPolicy policy,
                          Probe probe, CheckListener listener, RandomGenerator random) {
        this.loop = loop;
        this.id = id;
        this.address = address;
        this.policy = policy;
        this.probe = probe;
        this.listener = listener;
        this.random = random;
        this.intervalNanos = policy.interval().toNanos();
        this.fastIntervalNanos = policy.fastInterval().toNanos();
        this.timeoutNanos = policy.timeout().toNanos();
        this.machine = new RiseFallStateMachine(policy.rise(), policy.fall(), policy.start(), loop.ticker().nanoTime());
        this.state = machine.state();
    }

    void start() {
        long firstDelay = Math.max(1, (long) (random.nextDouble() * intervalNanos));
        loop.execute(() -> scheduleCheck(firstDelay));
    }

    @Override
    public EndpointId id() {
        return id;
    }

    @Override
    public HealthState state() {
        return state;
    }

    @Override
    public ProbeResult lastResult() {
        return lastResult;
    }

    @Override
    public void close() {
        closed = true;
        if (loop.inEventLoop()) {
            stop();
        } else {
            loop.execute(this::stop);
        }
    }

    private void stop() {
        assert loop.inEventLoop();
        awaiting = false;
        generation++;
        cancel(nextTask);
        cancel(timeoutTask);
        if (attempt != null) {
            attempt.cancel();
            attempt = null;
        }
    }

    private void scheduleCheck(long delayNanos) {
        assert loop.inEventLoop();
        if (!closed) {
            nextTask = loop.schedule(this::runCheck, delayNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void runCheck() {
        assert loop.inEventLoop();
        if (closed) {
            return;
        }
        long gen = ++generation;
        awaiting = true;
        timeoutTask = loop.schedule(() -> onResult(gen, ProbeResult.TIMEOUT), timeoutNanos, TimeUnit.NANOSECONDS);
        Probe.Attempt started;
        try {
            started = probe.start(loop, address, r -> onResult(gen, r));
        } catch (RuntimeException e) {
            onResult(gen, ProbeResult.failed("check not sent: " + e.getMessage()));
            return;
        }
        if (awaiting && gen == generation) {
            attempt = started;
        }
    }

    private void onResult(long gen, ProbeResult result) {
        assert loop.inEventLoop();
        if (closed || !awaiting || gen != generation) {
            return;
        }
        awaiting = false;
        cancel(timeoutTask);
        timeoutTask = null;
        if (attempt != null) {
            if (result == ProbeResult.TIMEOUT) {
                attempt.cancel();
            }
            attempt = null;
        }
        lastResult = result;
        HealthState before = machine.record(result.ok(), loop.ticker().nanoTime());
        HealthState now = machine.state();
        state = now;
        try {
            if (before != null) {
                listener.onStateChange(id, before, now, result.reason());
            }
            listener.onCheck(id, result, now);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "check listener failed for " + id, e);
        }
        long base = machine.isChanging() ? fastIntervalNanos : intervalNanos;
        scheduleCheck(Jitter.apply(base, policy.jitter(), random));
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }

    @Override
    public String toString() {
        return "CheckSession[" + id + " " + address + " " + state + "]";
    }
}
