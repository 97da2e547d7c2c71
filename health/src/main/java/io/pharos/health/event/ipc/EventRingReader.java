package io.pharos.health.event.ipc;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.HealthEventListener;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.lang.System.Logger.Level;
import java.nio.file.Path;

import static io.pharos.health.event.ipc.EventRingDescriptor.*;

/**
 * The sidecar's side of the event IPC: an Agrona {@link Agent} that drains at most
 * {@code maxEventsPerCycle} events from the ring per duty cycle and hands them to a listener, and
 * publishes the writer's heartbeat age and drop count. It is the ring's only consumer and stamps the
 * ring's consumer heartbeat every duty cycle, so the proxy can tell whether a sidecar is reading.
 *
 * <p>It attaches lazily (the proxy may start later), re-checks the file's identity every
 * {@link #RECHECK_MILLIS} and reattaches when the writer replaced it; a restarted sidecar simply
 * attaches to the existing file and continues from the ring's consumer position. If a writer died
 * between claiming and committing a record, the ring is unblocked after {@link #UNBLOCK_AFTER_MILLIS}.
 *
 * <p>{@link #doWork()}, {@link #onClose()} run on the agent's thread; the getters may be read from any thread.
 */
public final class EventRingReader implements Agent {
    static final long RECHECK_MILLIS = 1_000;
    static final long UNBLOCK_AFTER_MILLIS = 2_000;
    private static final System.Logger LOG = System.getLogger(EventRingReader.class.getName());

    private final Path path;
    private final HealthEventListener listener;
    private final EpochClock clock;
    private final int maxEventsPerCycle;
    private final MessageHandler handler = this::onMessage;

    /** Written by the agent thread. */
    private EventFile file;
    /** Written by the agent thread. */
    private ManyToOneRingBuffer ring;
    /** Written by the agent thread: next time to try attaching or re-check the file identity. */
    private long nextCheckMillis;
    /** Written by the agent thread: since when the ring has had unread bytes but yielded nothing, or -1. */
    private long stuckSinceMillis = -1;
    /** Written by the agent thread: the last problem logged, so that a persisting one is logged once. */
    private String lastProblem;
    /** Written by the agent thread: the writer's last heartbeat seen (epoch millis), 0 if none. */
    private volatile long heartbeatMillis;
    /** Written by the agent thread: the writer's drop counter as last seen. */
    private volatile long droppedEvents;
    /** Written by the agent thread: events handed to the listener. */
    private volatile long eventsRead;
    /** Written by the agent thread: records that could not be decoded. */
    private volatile long malformedEvents;
    /** Written by the agent thread. */
    private volatile boolean attached;

    private EventRingReader(Path path, HealthEventListener listener, EpochClock clock, int maxEventsPerCycle) {
        if (maxEventsPerCycle <= 0) {
            throw new IllegalArgumentException("maxEventsPerCycle: " + maxEventsPerCycle + " (expected: > 0)");
        }
        this.path = path;
        this.listener = listener;
        this.clock = clock;
        this.maxEventsPerCycle = maxEventsPerCycle;
    }

    public static EventRingReader create(Path path, HealthEventListener listener, EpochClock clock, int maxEventsPerCycle) {
        return new EventRingReader(path, listener, clock, maxEventsPerCycle);
    }

    @Override
    public int doWork() {
        long now = clock.time();
        if (file == null) {
            if (now < nextCheckMillis) {
                return 0;
            }
            nextCheckMillis = now + RECHECK_MILLIS;
            if (!attach()) {
                return 0;
            }
        } else if (now >= nextCheckMillis) {
            nextCheckMillis = now + RECHECK_MILLIS;
            if (file.replaced()) {
                LOG.log(Level.INFO, "event file {0} was replaced, reattaching", path);
                detach();
                if (!attach()) {
                    return 0;
                }
            }
        }
        ring.consumerHeartbeatTime(now);
        heartbeatMillis = file.header.getLongAcquire(HEARTBEAT_OFFSET);
        droppedEvents = file.header.getLongVolatile(DROPPED_OFFSET);
        int read = 0;
        while (read < maxEventsPerCycle) {
            long before = ring.consumerPosition();
            read += ring.read(handler, maxEventsPerCycle - read);
            if (ring.consumerPosition() == before) {
                break;
            }
        }
        unblockIfStuck(read, now);
        return read;
    }

    private boolean attach() {
        EventFile f;
        try {
            f = EventFile.tryOpen(path);
        } catch (RuntimeException e) {
            logOnce(e.getMessage());
            return false;
        }
        if (f == null) {
            logOnce("event file " + path + " does not exist yet, waiting for the proxy");
            return false;
        }
        file = f;
        ring = new ManyToOneRingBuffer(f.ring);
        stuckSinceMillis = -1;
        lastProblem = null;
        attached = true;
        LOG.log(Level.INFO, "attached to event file {0} ({1} bytes unread)", path, ring.size());
        return true;
    }

    private void detach() {
        attached = false;
        ring = null;
        file.close();
        file = null;
    }

    private void logOnce(String problem) {
        if (!problem.equals(lastProblem)) {
            lastProblem = problem;
            LOG.log(Level.WARNING, problem);
        }
    }

    private void unblockIfStuck(int read, long now) {
        if (read > 0 || ring.producerPosition() <= ring.consumerPosition()) {
            stuckSinceMillis = -1;
        } else if (stuckSinceMillis < 0) {
            stuckSinceMillis = now;
        } else if (now - stuckSinceMillis >= UNBLOCK_AFTER_MILLIS) {
            if (ring.unblock()) {
                LOG.log(Level.WARNING, "unblocked the event ring after a writer left a record unfinished");
            }
            stuckSinceMillis = -1;
        }
    }

    private void onMessage(int msgTypeId, DirectBuffer buffer, int index, int length) {
        if (msgTypeId != EVENT_MSG_TYPE_ID) {
            malformedEvents++;
            return;
        }
        HealthEvent event;
        try {
            event = decode(buffer, index, length);
        } catch (IllegalArgumentException e) {
            malformedEvents++;
            LOG.log(Level.WARNING, "skipping a malformed event record: {0}", e.getMessage());
            return;
        }
        eventsRead++;
        listener.onEvent(event);
    }

    /** Milliseconds since the writer's last heartbeat at {@code nowMillis}, or -1 if none was seen. */
    public long heartbeatAgeMillis(long nowMillis) {
        long hb = heartbeatMillis;
        return hb == 0 ? -1 : Math.max(0, nowMillis - hb);
    }

    public boolean attached() {
        return attached;
    }

    public long droppedEvents() {
        return droppedEvents;
    }

    public long eventsRead() {
        return eventsRead;
    }

    public long malformedEvents() {
        return malformedEvents;
    }

    public Path path() {
        return path;
    }

    @Override
    public void onClose() {
        if (file != null) {
            detach();
        }
    }

    @Override
    public String roleName() {
        return "pharos-event-reader";
    }
}
