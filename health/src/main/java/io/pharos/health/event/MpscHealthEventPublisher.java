package io.pharos.health.event;

import org.jctools.queues.MpscArrayQueue;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * {@link HealthEventPublisher} over a JCTools {@link MpscArrayQueue}. Producers {@code relaxedOffer} and,
 * only when the consumer announced it is about to park, unpark it. The publisher thread (the only
 * consumer) drains in bounded batches, runs due periodic tasks, then parks until the next periodic task
 * (at most {@link #MAX_PARK_NANOS}).
 */
final class MpscHealthEventPublisher implements HealthEventPublisher {
    private static final Logger LOG = System.getLogger("io.pharos.health.events");
    private static final int DRAIN_BATCH = 256;
    private static final long MAX_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** A task run on the publisher thread every {@code periodNanos}. */
    private static final class Periodic {
        final long periodNanos;
        final Runnable task;
        /** Written only by the publisher thread. */
        long nextRunNanos;

        Periodic(long periodNanos, Runnable task, long nextRunNanos) {
            this.periodNanos = periodNanos;
            this.task = task;
            this.nextRunNanos = nextRunNanos;
        }
    }

    private final MpscArrayQueue<HealthEvent> queue;
    private final LongSupplier nanoClock;
    private final List<HealthEventListener> listeners = new CopyOnWriteArrayList<>();
    private final List<Periodic> periodics = new CopyOnWriteArrayList<>();
    private final AtomicLong published = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final Thread thread;
    /** Written by the publisher thread before parking and after waking; read by producers. */
    private volatile boolean parked;
    /** Written once by {@link #close()}. */
    private volatile boolean closed;

    MpscHealthEventPublisher(int capacity, String threadName, LongSupplier nanoClock) {
        if (capacity < 2) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 2)");
        }
        this.queue = new MpscArrayQueue<>(capacity);
        this.nanoClock = nanoClock;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public boolean publish(HealthEvent event) {
        if (closed || !queue.relaxedOffer(event)) {
            dropped.incrementAndGet();
            return false;
        }
        published.incrementAndGet();
        if (parked) {
            LockSupport.unpark(thread);
        }
        return true;
    }

    @Override
    public void addListener(HealthEventListener listener) {
        listeners.add(listener);
    }

    @Override
    public void schedulePeriodic(Duration period, Runnable task) {
        long nanos = period.toNanos();
        if (nanos <= 0) {
            throw new IllegalArgumentException("period: " + period + " (expected: > 0)");
        }
        periodics.add(new Periodic(nanos, task, nanoClock.getAsLong() + nanos));
        LockSupport.unpark(thread);
    }

    @Override
    public long publishedCount() {
        return published.get();
    }

    @Override
    public long droppedCount() {
        return dropped.get();
    }

    @Override
    public long deliveredCount() {
        return delivered.get();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() == thread) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (true) {
            int drained = queue.drain(this::deliver, DRAIN_BATCH);
            long nextDue = runDuePeriodics();
            if (closed) {
                int rest;
                do {
                    rest = queue.drain(this::deliver, DRAIN_BATCH);
                } while (rest > 0);
                return;
            }
            if (drained == 0) {
                parked = true;
                if (queue.isEmpty() && !closed) {
                    long wait = Math.min(MAX_PARK_NANOS, nextDue - nanoClock.getAsLong());
                    if (wait > 0) {
                        LockSupport.parkNanos(this, wait);
                    }
                }
                parked = false;
            }
        }
    }

    /** Runs due tasks; returns the clock value when the next one is due. */
    private long runDuePeriodics() {
        long now = nanoClock.getAsLong();
        long next = now + MAX_PARK_NANOS;
        for (Periodic p : periodics) {
            if (now - p.nextRunNanos >= 0) {
                try {
                    p.task.run();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "periodic health-event task failed", e);
                }
                p.nextRunNanos = Math.max(p.nextRunNanos + p.periodNanos, now + 1);
            }
            if (p.nextRunNanos - next < 0) {
                next = p.nextRunNanos;
            }
        }
        return next;
    }

    private void deliver(HealthEvent event) {
        LOG.log(Level.INFO, "health event: {0}", event);
        for (HealthEventListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "health event listener " + l + " failed on " + event, e);
            }
        }
        delivered.incrementAndGet();
    }
}
