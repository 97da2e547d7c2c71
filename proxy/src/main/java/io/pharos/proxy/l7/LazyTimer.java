package io.pharos.proxy.l7;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * A deadline that is cheap to set and to clear many times a second: at most one timer is pending, and
 * it is re-armed lazily (Netty's {@code IdleStateHandler} trick). {@link #arm} stores the deadline and
 * schedules only when no timer is pending (or the pending one would fire too late); {@link #disarm}
 * only clears a flag. When the timer fires it runs {@code onExpiry} if the deadline passed, schedules
 * itself for the rest of a later deadline, or lapses when disarmed. Times are on the executor's ticker,
 * so {@code EmbeddedChannel}'s virtual clock drives it in tests.
 *
 * <p>Loop-confined: every method runs on {@code executor}, as does {@code onExpiry}.
 */
final class LazyTimer implements Runnable {
    private final EventExecutor executor;
    private final Runnable onExpiry;
    /** Loop-confined: whether {@link #deadlineNanos} is in force. */
    private boolean armed;
    /** Loop-confined: the deadline, on the executor's ticker. */
    private long deadlineNanos;
    /** Loop-confined: the pending timer, or null. */
    private ScheduledFuture<?> timer;
    /** Loop-confined: when {@link #timer} fires, on the executor's ticker. */
    private long timerFiresNanos;

    LazyTimer(EventExecutor executor, Runnable onExpiry) {
        this.executor = executor;
        this.onExpiry = onExpiry;
    }

    /** Sets the deadline to {@code delayNanos} from now, replacing any earlier one. */
    void arm(long delayNanos) {
        long deadline = executor.ticker().nanoTime() + delayNanos;
        armed = true;
        deadlineNanos = deadline;
        if (timer != null && timerFiresNanos - deadline > 0) {
            timer.cancel(false);
            timer = null;
        }
        if (timer == null) {
            schedule(deadline, delayNanos);
        }
    }

    /** Clears the deadline; a pending timer lapses when it fires. */
    void disarm() {
        armed = false;
    }

    boolean isArmed() {
        return armed;
    }

    /** Clears the deadline and cancels the pending timer (the channel is gone: the timer queue must not keep it). */
    void stop() {
        armed = false;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void run() {
        timer = null;
        if (!armed) {
            return;
        }
        long left = deadlineNanos - executor.ticker().nanoTime();
        if (left > 0) {
            schedule(deadlineNanos, left);
        } else {
            armed = false;
            onExpiry.run();
        }
    }

    private void schedule(long firesNanos, long delayNanos) {
        timerFiresNanos = firesNanos;
        timer = executor.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }
}
