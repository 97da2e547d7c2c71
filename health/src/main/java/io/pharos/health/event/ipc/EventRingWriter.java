package io.pharos.health.event.ipc;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.HealthEventListener;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastTransmitter;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.nio.file.Path;

import static io.pharos.health.event.ipc.EventRingDescriptor.*;

/**
 * The proxy's side of the event IPC: a {@link HealthEventListener} that writes every event into the
 * ring of the event file (see {@link EventRingDescriptor}) and echoes it on the broadcast area for
 * passive observers. A full ring (or an event larger than a record may be) never blocks: the event
 * is dropped and counted in the file header
 * ({@link #droppedCount()}).
 *
 * <p>Owned by the proxy's event publisher thread: {@link #onEvent}, {@link #heartbeat()} and
 * {@link #close()} run there (the broadcast area has a single producer). The counters may be read
 * from any thread.
 */
public final class EventRingWriter implements HealthEventListener, AutoCloseable {
    private final EventFile file;
    private final ManyToOneRingBuffer ring;
    private final BroadcastTransmitter broadcast;
    private final EpochClock clock;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_EVENT_LENGTH]);

    private EventRingWriter(EventFile file, EpochClock clock) {
        this.file = file;
        this.ring = new ManyToOneRingBuffer(file.ring);
        this.broadcast = new BroadcastTransmitter(file.broadcast);
        this.clock = clock;
        file.header.putLong(WRITER_ATTACH_MILLIS_OFFSET, clock.time(), ORDER);
        file.header.putLong(WRITER_PID_OFFSET, ProcessHandle.current().pid(), ORDER);
        heartbeat();
    }

    /** Opens (reusing a matching existing file) with the default capacities. Does file I/O. */
    public static EventRingWriter open(Path file, EpochClock clock) {
        return open(file, DEFAULT_RING_CAPACITY, DEFAULT_BROADCAST_CAPACITY, clock);
    }

    /**
     * Opens the event file for writing. An existing file with the same capacities is reused as is, so
     * a restarted proxy continues where it stopped and an attached sidecar keeps reading. Does file I/O.
     */
    public static EventRingWriter open(Path file, int ringCapacity, int broadcastCapacity, EpochClock clock) {
        return new EventRingWriter(EventFile.openOrCreate(file, ringCapacity, broadcastCapacity), clock);
    }

    @Override
    public void onEvent(HealthEvent event) {
        int length = encode(event, scratch, 0);
        if (length <= ring.maxMsgLength() && ring.write(EVENT_MSG_TYPE_ID, scratch, 0, length)) {
            file.header.getAndAddLong(WRITTEN_OFFSET, 1);
        } else {
            file.header.getAndAddLong(DROPPED_OFFSET, 1);
        }
        if (length <= broadcast.maxMsgLength()) {
            broadcast.transmit(EVENT_MSG_TYPE_ID, scratch, 0, length);
        }
    }

    /** Stamps the heartbeat slot with the current time; the proxy calls it every 100 ms. */
    public void heartbeat() {
        file.header.putLongRelease(HEARTBEAT_OFFSET, clock.time());
    }

    /** Events dropped because the ring was full, over the life of the file. */
    public long droppedCount() {
        return file.header.getLongVolatile(DROPPED_OFFSET);
    }

    /** When a reader (the sidecar) last drained the ring, epoch millis; 0 if never. */
    public long consumerHeartbeatMillis() {
        return ring.consumerHeartbeatTime();
    }

    /** Events written into the ring, over the life of the file. */
    public long writtenCount() {
        return file.header.getLongVolatile(WRITTEN_OFFSET);
    }

    public Path path() {
        return file.path();
    }

    @Override
    public void close() {
        file.close();
    }
}
