package io.pharos.health.event.ipc;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.testing.Await;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.*;

class EventRingTest {
    @TempDir
    Path dir;

    private final CachedEpochClock clock = new CachedEpochClock();

    private static HealthEvent event(int i) {
        return new HealthEvent(1_700_000_000_000L + i, HealthEvent.Kind.BACKEND_STATE, "primary", "app",
                "app-" + i, "healthy", "unhealthy", "connect refused", 1, 2);
    }

    @Test
    void roundTripKeepsEveryFieldOfEveryKind() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        List<HealthEvent> sent = List.of(
                new HealthEvent(1, HealthEvent.Kind.BACKEND_STATE, "primary", "app", "app-1", "healthy", "unhealthy", "status 500", 1, 2),
                new HealthEvent(2, HealthEvent.Kind.CLUSTER_HEALTHY_COUNT, "primary", "app", "", "", "", "count", 0, 2),
                new HealthEvent(3, HealthEvent.Kind.CLUSTER_DOWN, "région-ü", "app", "", "up", "down", "no backend usable ✓", 0, 2),
                new HealthEvent(4, HealthEvent.Kind.CLUSTER_RECOVERED, "", "db", "", "down", "up", "", 2, 2));
        try (EventRingWriter writer = EventRingWriter.open(file, clock)) {
            EventRingReader reader = EventRingReader.create(file, got::add, clock, 100);
            sent.forEach(writer::onEvent);
            assertEquals(4, reader.doWork());
            reader.onClose();
            assertEquals(4, writer.writtenCount());
            assertEquals(0, writer.droppedCount());
        }
        assertEquals(sent, got);
    }

    @Test
    void longStringsAreCutTo256CharsWithoutSplittingSurrogates() {
        String longReason = "x".repeat(255) + "\uD83D\uDE00" + "y".repeat(100);
        HealthEvent e = new HealthEvent(5, HealthEvent.Kind.CLUSTER_DOWN, "r", "c", "", "up", "down", longReason, 0, 1);
        UnsafeBuffer buf = new UnsafeBuffer(new byte[EventRingDescriptor.MAX_EVENT_LENGTH]);
        int len = EventRingDescriptor.encode(e, buf, 0);
        HealthEvent back = EventRingDescriptor.decode(buf, 0, len);
        assertEquals("x".repeat(255), back.reason());
        assertThrows(IllegalArgumentException.class, () -> EventRingDescriptor.decode(buf, 0, 30));
    }

    @Test
    void fullRingDropsAndCountsWithoutBlockingAndRecoversAfterDrain() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        try (EventRingWriter writer = EventRingWriter.open(file, 1024, 1024, clock)) {
            for (int i = 0; i < 100; i++) {
                writer.onEvent(event(i));
            }
            long written = writer.writtenCount();
            long dropped = writer.droppedCount();
            assertTrue(written > 0 && written < 100, "written " + written);
            assertEquals(100, written + dropped);
            EventRingReader reader = EventRingReader.create(file, got::add, clock, 1_000);
            reader.doWork();
            assertEquals(written, got.size());
            assertEquals(dropped, reader.droppedEvents());
            for (int i = 0; i < (int) written; i++) {
                assertEquals(event(i), got.get(i), "the first events are kept, in order");
            }
            writer.onEvent(event(1000));
            assertEquals(dropped, writer.droppedCount(), "room again after the drain");
            reader.doWork();
            assertEquals(event(1000), got.getLast());
            reader.onClose();
        }
    }

    @Test
    void drainIsBoundedPerDutyCycle() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        try (EventRingWriter writer = EventRingWriter.open(file, clock)) {
            for (int i = 0; i < 10; i++) {
                writer.onEvent(event(i));
            }
            EventRingReader reader = EventRingReader.create(file, got::add, clock, 4);
            assertEquals(4, reader.doWork());
            assertEquals(4, reader.doWork());
            assertEquals(2, reader.doWork());
            assertEquals(0, reader.doWork());
            assertEquals(10, reader.eventsRead());
            reader.onClose();
        }
    }

    @Test
    void heartbeatAgeFollowsTheWritersStamp() {
        clock.update(10_000);
        Path file = dir.resolve("events");
        EventRingReader reader = EventRingReader.create(file, e -> { }, clock, 10);
        assertEquals(0, reader.doWork());
        assertFalse(reader.attached());
        assertEquals(-1, reader.heartbeatAgeMillis(clock.time()), "no writer yet");
        try (EventRingWriter writer = EventRingWriter.open(file, clock)) {
            clock.advance(EventRingReader.RECHECK_MILLIS);
            reader.doWork();
            assertTrue(reader.attached());
            clock.advance(350);
            reader.doWork();
            assertEquals(EventRingReader.RECHECK_MILLIS + 350, reader.heartbeatAgeMillis(clock.time()),
                    "stamped when the writer opened");
            writer.heartbeat();
            reader.doWork();
            assertEquals(0, reader.heartbeatAgeMillis(clock.time()));
            clock.advance(5_000);
            reader.doWork();
            assertEquals(5_000, reader.heartbeatAgeMillis(clock.time()), "a dead writer's heartbeat keeps ageing");
            assertEquals(clock.time(), writer.consumerHeartbeatMillis(), "the writer sees the reader drain");
        }
        reader.onClose();
    }

    @Test
    void restartedWriterReusesTheFileAndTheReaderKeepsGoing() throws Exception {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        EventRingReader reader = EventRingReader.create(file, got::add, clock, 1);
        Object inode;
        try (EventRingWriter first = EventRingWriter.open(file, clock)) {
            first.onEvent(event(1));
            first.onEvent(event(2));
            reader.doWork();
            inode = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        }
        try (EventRingWriter second = EventRingWriter.open(file, clock)) {
            assertEquals(inode, Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey(),
                    "same file reused");
            assertEquals(2, second.writtenCount(), "counters survive the restart");
            second.onEvent(event(3));
            clock.advance(EventRingReader.RECHECK_MILLIS);
            while (reader.doWork() > 0) {
                clock.advance(1);
            }
        }
        assertEquals(List.of(event(1), event(2), event(3)), got);
        reader.onClose();
    }

    @Test
    void aRecordLeftUnfinishedByADeadWriterIsUnblocked() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        EventRingReader reader = EventRingReader.create(file, got::add, clock, 10);
        try (EventRingWriter first = EventRingWriter.open(file, clock)) {
            first.onEvent(event(1));
        }
        try (EventFile crashed = EventFile.tryOpen(file)) {
            int claimed = new org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer(crashed.ring)
                    .tryClaim(EventRingDescriptor.EVENT_MSG_TYPE_ID, 64);
            assertTrue(claimed > 0, "claimed and never committed, as by a proxy killed mid-write");
        }
        try (EventRingWriter restarted = EventRingWriter.open(file, clock)) {
            restarted.onEvent(event(2));
            reader.doWork();
            assertEquals(List.of(event(1)), got, "stuck behind the unfinished record");
            clock.advance(EventRingReader.UNBLOCK_AFTER_MILLIS / 2);
            reader.doWork();
            clock.advance(EventRingReader.UNBLOCK_AFTER_MILLIS);
            reader.doWork();
            reader.doWork();
        }
        assertEquals(List.of(event(1), event(2)), got, "the unfinished record is skipped, the rest flows");
        reader.onClose();
    }

    @Test
    void writerWithOtherCapacityReplacesTheFileAndTheReaderReattaches() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        EventRingReader reader = EventRingReader.create(file, got::add, clock, 10);
        try (EventRingWriter first = EventRingWriter.open(file, 4096, 4096, clock)) {
            first.onEvent(event(1));
            reader.doWork();
        }
        try (EventRingWriter second = EventRingWriter.open(file, 8192, 4096, clock)) {
            second.onEvent(event(2));
            clock.advance(EventRingReader.RECHECK_MILLIS);
            reader.doWork();
        }
        assertEquals(List.of(event(1), event(2)), got);
        reader.onClose();
    }

    @Test
    void restartedReaderContinuesWithoutDuplicates() {
        clock.update(1_000);
        Path file = dir.resolve("events");
        List<HealthEvent> got = new ArrayList<>();
        try (EventRingWriter writer = EventRingWriter.open(file, clock)) {
            writer.onEvent(event(1));
            EventRingReader first = EventRingReader.create(file, got::add, clock, 10);
            first.doWork();
            first.onClose();
            writer.onEvent(event(2));
            writer.onEvent(event(3));
            EventRingReader second = EventRingReader.create(file, got::add, clock, 10);
            second.doWork();
            second.onClose();
        }
        assertEquals(List.of(event(1), event(2), event(3)), got);
    }

    @Test
    void garbageFileIsRefusedByReadersAndReplacedByTheWriter() throws Exception {
        clock.update(1_000);
        Path file = dir.resolve("events");
        Files.write(file, new byte[4096]);
        assertThrows(IllegalStateException.class, () -> EventFile.tryOpen(file));
        try (EventRingWriter writer = EventRingWriter.open(file, clock)) {
            writer.onEvent(event(1));
            List<HealthEvent> got = new ArrayList<>();
            EventRingReader reader = EventRingReader.create(file, got::add, clock, 10);
            reader.doWork();
            reader.onClose();
            assertEquals(List.of(event(1)), got);
        }
    }

    @Test
    void tailPrintsEventsWithoutTakingThemFromTheSidecar() throws Exception {
        Path file = dir.resolve("events");
        org.agrona.concurrent.SystemEpochClock real = org.agrona.concurrent.SystemEpochClock.INSTANCE;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicBoolean run = new AtomicBoolean(true);
        List<HealthEvent> got = new CopyOnWriteArrayList<>();
        try (EventRingWriter writer = EventRingWriter.open(file, real)) {
            Thread tail = new Thread(() -> EventTail.run(file, out, real, run::get), "tail");
            tail.start();
            try {
                Await.until(Duration.ofSeconds(30), "the tail to start following", () -> text(bytes).contains("following"));
                writer.onEvent(event(7));
                writer.onEvent(new HealthEvent(8, HealthEvent.Kind.CLUSTER_DOWN, "primary", "app", "", "up", "down", "all down", 0, 2));
                Await.until(Duration.ofSeconds(30), "the tail to print CLUSTER_DOWN", () -> text(bytes).contains("CLUSTER_DOWN"));
            } finally {
                run.set(false);
                tail.join(30_000);
            }
            EventRingReader reader = EventRingReader.create(file, got::add, real, 10);
            reader.doWork();
            reader.onClose();
        }
        String text = text(bytes);
        assertTrue(text.contains("BACKEND_STATE primary:app/app-7 healthy -> unhealthy (connect refused) healthy 1/2"), text);
        assertTrue(text.contains("CLUSTER_DOWN primary:app up -> down (all down) healthy 0/2"), text);
        assertEquals(2, got.size(), "the sidecar still gets both events");
    }

    private static String text(ByteArrayOutputStream bytes) {
        synchronized (bytes) {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }
}
