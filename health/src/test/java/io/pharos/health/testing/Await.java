package io.pharos.health.testing;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Bounded polling for tests that wait on another thread or process: one place for the deadline, the
 * poll interval (1 ms, doubling up to 20 ms) and a failure message that names what was awaited.
 * Runs on the calling test thread and blocks it; never call it from an event loop.
 */
public final class Await {
    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private Await() {
    }

    /** A condition that may throw; a throw fails the wait with {@code what} in the message. */
    @FunctionalInterface
    public interface Condition {
        boolean test() throws Exception;
    }

    /** A value read while waiting; a throw fails the wait with {@code what} in the message. */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    /** Polls {@code condition} until it holds; fails with {@code what} after {@code timeout}. */
    public static void until(Duration timeout, String what, Condition condition) throws InterruptedException {
        value(timeout, what, condition::test, Boolean::booleanValue);
    }

    /** Polls {@code condition} until it holds or {@code timeout} passed; returns whether it held. */
    public static boolean within(Duration timeout, Condition condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            if (get(condition::test, "a condition")) {
                return true;
            }
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            pause = pause(pause);
        }
    }

    /**
     * Polls {@code probe} until {@code done} accepts its value and returns that value; fails with
     * {@code what} and the last value seen after {@code timeout}.
     */
    public static <T> T value(Duration timeout, String what, Probe<T> probe, Predicate<? super T> done)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            T v = get(probe, what);
            if (done.test(v)) {
                return v;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + " (last seen: " + v + ")");
            }
            pause = pause(pause);
        }
    }

    /**
     * Polls {@code counter} until it has not changed for {@code quiet} and returns it; fails with
     * {@code what} when it keeps changing for {@code timeout}.
     */
    public static long steady(Duration timeout, Duration quiet, String what, LongSupplier counter)
            throws InterruptedException {
        long[] last = {counter.getAsLong()};
        long[] since = {System.nanoTime()};
        return value(timeout, what + " to stop changing for " + quiet, () -> {
            long now = counter.getAsLong();
            if (now != last[0]) {
                last[0] = now;
                since[0] = System.nanoTime();
                return null;
            }
            return System.nanoTime() - since[0] >= quiet.toNanos() ? now : null;
        }, v -> v != null);
    }

    private static <T> T get(Probe<T> probe, String what) {
        try {
            return probe.get();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("failed while waiting for " + what + ": " + e, e);
        }
    }

    private static long pause(long nanos) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(nanos);
        return Math.min(nanos * 2, MAX_PAUSE_NANOS);
    }
}
