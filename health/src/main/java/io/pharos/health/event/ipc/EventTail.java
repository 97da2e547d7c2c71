package io.pharos.health.event.ipc;

import io.pharos.health.event.HealthEvent;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastReceiver;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static io.pharos.health.event.ipc.EventRingDescriptor.*;

/**
 * {@code pharos events -f FILE}: prints the health events of an event file as they come, one line
 * each, without consuming them (it follows the broadcast area, so the sidecar still gets every
 * event from the ring). Like {@code tail -f} it starts with the latest event already in the file.
 * Also says when the writer's heartbeat goes stale or comes back, when it
 * fell behind and missed events, and when the file is replaced. Runs on the calling thread.
 */
public final class EventTail {
    static final long STALE_MILLIS = 1_000;
    private static final long IDLE_NANOS = 10_000_000L;

    private EventTail() {
    }

    public static void main(String[] args) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (("-f".equals(args[i]) || "--file".equals(args[i])) && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else {
                System.err.println("usage: pharos events -f FILE   (unknown argument: " + args[i] + ")");
                System.exit(2);
            }
        }
        if (file == null) {
            System.err.println("usage: pharos events -f FILE");
            System.exit(2);
        }
        run(file, System.out, SystemEpochClock.INSTANCE, () -> true);
    }

    /** Follows {@code file} until {@code keepGoing} turns false. Blocks the calling thread. */
    public static void run(Path file, PrintStream out, EpochClock clock, BooleanSupplier keepGoing) {
        UnsafeBuffer copy = new UnsafeBuffer(new byte[MAX_EVENT_LENGTH]);
        EventFile f = null;
        BroadcastReceiver receiver = null;
        long nextCheck = 0;
        long lapped = 0;
        boolean stale = false;
        boolean waitingSaid = false;
        try {
            while (keepGoing.getAsBoolean()) {
                long now = clock.time();
                if (now >= nextCheck) {
                    nextCheck = now + EventRingReader.RECHECK_MILLIS;
                    if (f != null && f.replaced()) {
                        out.println(stamp(now) + " event file replaced, reattaching");
                        f.close();
                        f = null;
                    }
                    if (f == null) {
                        try {
                            f = EventFile.tryOpen(file);
                        } catch (RuntimeException e) {
                            out.println(stamp(now) + " " + e.getMessage());
                        }
                        if (f == null) {
                            if (!waitingSaid) {
                                out.println(stamp(now) + " waiting for " + file);
                                waitingSaid = true;
                            }
                        } else {
                            receiver = new BroadcastReceiver(f.broadcast);
                            lapped = 0;
                            waitingSaid = false;
                            out.println(stamp(now) + " following " + file);
                        }
                    }
                    if (f != null) {
                        long age = now - f.header.getLongAcquire(HEARTBEAT_OFFSET);
                        if (age > STALE_MILLIS != stale) {
                            stale = !stale;
                            out.println(stamp(now) + (stale ? " writer heartbeat stale (" + age + " ms)" : " writer heartbeat back"));
                        }
                    }
                }
                if (f == null || !receiveOne(receiver, copy, out)) {
                    if (receiver != null && receiver.lappedCount() != lapped) {
                        lapped = receiver.lappedCount();
                        out.println(stamp(now) + " fell behind the writer, some events were missed");
                    }
                    out.flush();
                    LockSupport.parkNanos(IDLE_NANOS);
                }
            }
        } finally {
            if (f != null) {
                f.close();
            }
            out.flush();
        }
    }

    private static boolean receiveOne(BroadcastReceiver receiver, UnsafeBuffer copy, PrintStream out) {
        if (!receiver.receiveNext()) {
            return false;
        }
        int length = receiver.length();
        int typeId = receiver.typeId();
        if (length > copy.capacity()) {
            return true;
        }
        copy.putBytes(0, receiver.buffer(), receiver.offset(), length);
        if (!receiver.validate() || typeId != EVENT_MSG_TYPE_ID) {
            return true;
        }
        try {
            HealthEvent e = decode(copy, 0, length);
            out.println(stamp(e.timeMillis()) + " " + e);
        } catch (IllegalArgumentException ex) {
            out.println("malformed event record: " + ex.getMessage());
        }
        return true;
    }

    private static String stamp(long epochMillis) {
        return Instant.ofEpochMilli(epochMillis).toString();
    }
}
