package io.pharos.health.event.ipc;

import io.pharos.health.event.HealthEvent;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.broadcast.BroadcastBufferDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The binary layout of the health event file the proxy writes and the GTM sidecar reads (by
 * default {@code /dev/shm/pharos-events}). Other readers can follow this description alone.
 *
 * <pre>
 * file  = header (256 bytes)
 *       | ring      : Agrona ManyToOneRingBuffer, ringCapacity + RingBufferDescriptor.TRAILER_LENGTH bytes
 *       | broadcast : Agrona broadcast buffer,   broadcastCapacity + BroadcastBufferDescriptor.TRAILER_LENGTH bytes
 *
 * header (little-endian; the atomic slots use the platform order, little-endian on x86-64 and
 *         aarch64; each hot slot on its own 64-byte line)
 *   0   int32  magic             0x56454850 ("PHEV" in file order); written last, with release order
 *   4   int32  version           1
 *   8   int32  ringCapacity      power of two
 *   12  int32  broadcastCapacity power of two
 *   16  int64  writerAttachMillis epoch millis the (last) writer attached
 *   24  int64  writerPid         process id of the (last) writer
 *   64  int64  heartbeatMillis   epoch millis, bumped by the writer every 100 ms (release order)
 *   128 int64  droppedEvents     events the writer dropped because the ring was full
 *   192 int64  writtenEvents     events the writer put into the ring
 *
 * the ring's own trailer (Agrona RingBufferDescriptor) holds, besides its positions, the consumer
 * heartbeat the sidecar stamps every duty cycle (CONSUMER_HEARTBEAT_OFFSET, epoch millis)
 *
 * one event = one ring record with msgTypeId 1 (the same bytes are also sent on the broadcast
 * buffer, which `pharos events -f` follows without consuming); record body, little-endian:
 *   0   int64  timeMillis        epoch millis of the change
 *   8   int32  kind              HealthEvent.Kind code: 1 backend-state, 2 cluster-healthy-count,
 *                                3 cluster-down, 4 cluster-recovered
 *   12  int32  healthyCount
 *   16  int32  totalCount
 *   20  then six strings, in this order: region, cluster, backend, oldState, newState, reason;
 *       each an int32 byte length followed by that many UTF-8 bytes (no terminator, no padding);
 *       each string is cut to at most 256 chars before encoding
 * </pre>
 *
 * <p>The ring is the sidecar's lossless channel (a full ring drops and counts, it never blocks the
 * proxy); it has exactly one consumer. The broadcast buffer is for any number of passive observers,
 * which may be lapped and then miss events.
 */
public final class EventRingDescriptor {
    public static final int MAGIC = 0x56454850;
    public static final int VERSION = 1;
    public static final int HEADER_LENGTH = 256;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int RING_CAPACITY_OFFSET = 8;
    public static final int BROADCAST_CAPACITY_OFFSET = 12;
    public static final int WRITER_ATTACH_MILLIS_OFFSET = 16;
    public static final int WRITER_PID_OFFSET = 24;
    public static final int HEARTBEAT_OFFSET = 64;
    public static final int DROPPED_OFFSET = 128;
    public static final int WRITTEN_OFFSET = 192;

    public static final int EVENT_MSG_TYPE_ID = 1;
    public static final int DEFAULT_RING_CAPACITY = 1 << 20;
    public static final int DEFAULT_BROADCAST_CAPACITY = 1 << 18;
    public static final int MAX_STRING_CHARS = 256;

    static final int TIME_OFFSET = 0;
    static final int KIND_OFFSET = 8;
    static final int HEALTHY_OFFSET = 12;
    static final int TOTAL_OFFSET = 16;
    static final int STRINGS_OFFSET = 20;
    /** Largest possible body: fixed part plus six strings of 256 chars at 4 UTF-8 bytes per char at most. */
    public static final int MAX_EVENT_LENGTH = STRINGS_OFFSET + 6 * (4 + 4 * MAX_STRING_CHARS);

    static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private EventRingDescriptor() {
    }

    public static int ringOffset() {
        return HEADER_LENGTH;
    }

    public static int broadcastOffset(int ringCapacity) {
        return HEADER_LENGTH + ringCapacity + RingBufferDescriptor.TRAILER_LENGTH;
    }

    public static long fileLength(int ringCapacity, int broadcastCapacity) {
        return (long) broadcastOffset(ringCapacity) + broadcastCapacity + BroadcastBufferDescriptor.TRAILER_LENGTH;
    }

    /** Encodes {@code event} at {@code offset}; returns the body length. The buffer must hold {@link #MAX_EVENT_LENGTH}. */
    public static int encode(HealthEvent event, MutableDirectBuffer buffer, int offset) {
        buffer.putLong(offset + TIME_OFFSET, event.timeMillis(), ORDER);
        buffer.putInt(offset + KIND_OFFSET, event.kind().code, ORDER);
        buffer.putInt(offset + HEALTHY_OFFSET, event.healthyCount(), ORDER);
        buffer.putInt(offset + TOTAL_OFFSET, event.totalCount(), ORDER);
        int at = offset + STRINGS_OFFSET;
        at = putString(buffer, at, event.region());
        at = putString(buffer, at, event.cluster());
        at = putString(buffer, at, event.backend());
        at = putString(buffer, at, event.oldState());
        at = putString(buffer, at, event.newState());
        at = putString(buffer, at, event.reason());
        return at - offset;
    }

    /** Decodes one event body; throws {@link IllegalArgumentException} when it is malformed. */
    public static HealthEvent decode(DirectBuffer buffer, int offset, int length) {
        if (length < STRINGS_OFFSET + 6 * 4) {
            throw new IllegalArgumentException("event record too short: " + length + " bytes");
        }
        int end = offset + length;
        long time = buffer.getLong(offset + TIME_OFFSET, ORDER);
        HealthEvent.Kind kind = HealthEvent.Kind.fromCode(buffer.getInt(offset + KIND_OFFSET, ORDER));
        int healthy = buffer.getInt(offset + HEALTHY_OFFSET, ORDER);
        int total = buffer.getInt(offset + TOTAL_OFFSET, ORDER);
        String[] strings = new String[6];
        int at = offset + STRINGS_OFFSET;
        for (int i = 0; i < strings.length; i++) {
            if (at + 4 > end) {
                throw new IllegalArgumentException("event record truncated at string " + i);
            }
            int len = buffer.getInt(at, ORDER);
            at += 4;
            if (len < 0 || at + len > end) {
                throw new IllegalArgumentException("event string " + i + " length " + len + " exceeds the record");
            }
            byte[] bytes = new byte[len];
            buffer.getBytes(at, bytes);
            strings[i] = new String(bytes, StandardCharsets.UTF_8);
            at += len;
        }
        return new HealthEvent(time, kind, strings[0], strings[1], strings[2], strings[3], strings[4], strings[5],
                healthy, total);
    }

    private static int putString(MutableDirectBuffer buffer, int at, String s) {
        String cut = s.length() > MAX_STRING_CHARS ? cutAt(s, MAX_STRING_CHARS) : s;
        byte[] bytes = cut.getBytes(StandardCharsets.UTF_8);
        buffer.putInt(at, bytes.length, ORDER);
        buffer.putBytes(at + 4, bytes);
        return at + 4 + bytes.length;
    }

    /** Cuts to at most {@code max} chars without splitting a surrogate pair. */
    private static String cutAt(String s, int max) {
        int end = Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max;
        return s.substring(0, end);
    }
}
