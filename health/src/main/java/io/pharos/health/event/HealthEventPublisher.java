package io.pharos.health.event;

import java.time.Duration;

/**
 * Carries health events off the event loops: any thread {@link #publish}es into a bounded MPSC queue
 * without blocking; one daemon publisher thread drains it, logs every event on one line and hands it to
 * the registered {@link HealthEventListener}s. The same thread runs periodic tasks (the event IPC's
 * heartbeat), so listeners and periodic tasks never run concurrently with each other.
 *
 * <p>A full queue never blocks a producer: the event is dropped and counted ({@link #droppedCount()}).
 */
public interface HealthEventPublisher extends AutoCloseable {

    /** Default queue capacity (events). */
    int DEFAULT_CAPACITY = 4096;

    /**
     * Starts a publisher and its thread.
     *
     * @param capacity queue capacity in events, rounded up to a power of two (at least 2)
     * @param threadName name of the publisher thread
     */
    static HealthEventPublisher start(int capacity, String threadName) {
        return new MpscHealthEventPublisher(capacity, threadName, System::nanoTime);
    }

    /** Starts a publisher with {@link #DEFAULT_CAPACITY} and thread name {@code pharos-health-events}. */
    static HealthEventPublisher start() {
        return start(DEFAULT_CAPACITY, "pharos-health-events");
    }

    /**
     * Offers an event; any thread, never blocks, allocates nothing.
     *
     * @return false when the queue was full and the event was dropped (and counted)
     */
    boolean publish(HealthEvent event);

    /** Adds a listener; it sees events published after this call. Any thread. */
    void addListener(HealthEventListener listener);

    /**
     * Runs {@code task} on the publisher thread every {@code period}, first after one period. A task that
     * throws is logged and keeps its schedule. Any thread.
     */
    void schedulePeriodic(Duration period, Runnable task);

    /** Events accepted so far. */
    long publishedCount();

    /** Events dropped because the queue was full. */
    long droppedCount();

    /** Events handed to listeners (after logging) so far. */
    long deliveredCount();

    /**
     * Stops taking events, delivers the ones already queued, runs no more periodic tasks and waits for the
     * publisher thread to end (bounded: at most a few seconds). May block: call from a control thread.
     */
    @Override
    void close();
}
