package io.pharos.proxy.continuity.journal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FileJournalTest {
    private static final JournalSettings SMALL = new JournalSettings(4096, 1 << 20, Duration.ofDays(1), 1024);

    @TempDir
    Path dir;

    private final TestRecords.ManualClock clock = new TestRecords.ManualClock();
    private final List<Journal> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(Journal::close);
    }

    private FileJournal open(JournalSettings settings) throws IOException {
        return open(settings, FileJournal.NO_HOOK);
    }

    private FileJournal open(JournalSettings settings, FileJournal.ForceHook hook) throws IOException {
        FileJournal j = FileJournal.open(dir, settings, clock, hook);
        opened.add(j);
        return j;
    }

    private static long append(Journal j, int writer, long n) throws Exception {
        return j.append(TestRecords.record(writer, n)).get(10, TimeUnit.SECONDS);
    }

    /** Appends records (1, 1..count), each waiting for its fsync. */
    private static void appendAll(Journal j, int count) throws Exception {
        for (int n = 1; n <= count; n++) {
            assertEquals(j.lastSequence() + 1, append(j, 1, n));
        }
    }

    /** A journal of records (1, 1..count), closed again. */
    private void writeAndClose(int count) throws Exception {
        try (FileJournal j = FileJournal.open(dir, SMALL, clock, FileJournal.NO_HOOK)) {
            appendAll(j, count);
        }
    }

    private static List<JournalRecord> readAll(Journal j, long after) throws IOException {
        List<JournalRecord> out = new ArrayList<>();
        try (JournalCursor c = j.openCursor(after)) {
            for (JournalRecord r = c.poll(); r != null; r = c.poll()) {
                out.add(r);
            }
        }
        return out;
    }

    /** A force hook that holds the first fsync until released. */
    private static final class HeldForce implements FileJournal.ForceHook {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public void beforeForce() {
            if (calls.getAndIncrement() == 0) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void appendCompletesAfterForceWithDenseSequencesAndExactContent() throws Exception {
        FileJournal j = open(SMALL);
        assertEquals(0, j.lastSequence());
        for (int n = 1; n <= 10; n++) {
            clock.millis.addAndGet(5);
            long seq = append(j, 1, n);
            assertEquals(n, seq);
            assertTrue(j.durableSequence() >= seq, "completed only once durable");
        }
        List<JournalRecord> all = readAll(j, 0);
        assertEquals(10, all.size());
        for (int i = 0; i < 10; i++) {
            JournalRecord r = all.get(i);
            assertEquals(i + 1, r.sequence());
            assertTrue(TestRecords.matches(r, 1, i + 1), r.toString());
            assertEquals(1_700_000_000_000L + 5L * (i + 1), r.appendTimeMillis(), "stamped with the journal's clock");
        }
        JournalStats s = j.stats();
        assertEquals(10, s.appended());
        assertEquals(s.forces(), s.fsyncMicros().getTotalCount());
    }

    @Test
    void groupCommitCoversEverythingQueuedWithOneForce() throws Exception {
        HeldForce hook = new HeldForce();
        FileJournal j = open(new JournalSettings(1 << 20, 16L << 20, Duration.ofDays(1), 1024), hook);
        CompletableFuture<Long> first = j.append(TestRecords.record(0, 0));
        assertTrue(hook.entered.await(10, TimeUnit.SECONDS));
        Map<CompletableFuture<Long>, int[]> futures = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 1; w <= 4; w++) {
            int writer = w;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int n = 0; n < 50; n++) {
                    futures.put(j.append(TestRecords.record(writer, n)), new int[] {writer, n});
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertFalse(first.isDone(), "nothing completes before its fsync");
        hook.release.countDown();
        assertEquals(1, first.get(10, TimeUnit.SECONDS));
        Map<Long, int[]> bySequence = new ConcurrentHashMap<>();
        for (Map.Entry<CompletableFuture<Long>, int[]> e : futures.entrySet()) {
            bySequence.put(e.getKey().get(10, TimeUnit.SECONDS), e.getValue());
        }
        assertEquals(200, bySequence.size(), "every sequence handed out once");
        for (long seq = 2; seq <= 201; seq++) {
            assertTrue(bySequence.containsKey(seq), "dense: " + seq);
        }
        assertEquals(2, j.stats().forces(), "the 200 appends queued during the first fsync share the second");
        for (JournalRecord r : readAll(j, 1)) {
            int[] wn = bySequence.get(r.sequence());
            assertTrue(TestRecords.matches(r, wn[0], wn[1]), r.toString());
        }
    }

    @Test
    void appendsFromManyThreadsShareFsyncs() throws Exception {
        FileJournal j = open(new JournalSettings(64 * 1024, 64L << 20, Duration.ofDays(1), 8192));
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            int writer = w;
            List<CompletableFuture<Long>> mine = new ArrayList<>();
            threads.add(Thread.ofPlatform().start(() -> {
                for (int n = 0; n < 500; n++) {
                    mine.add(j.append(TestRecords.record(writer, n)));
                }
                synchronized (futures) {
                    futures.addAll(mine);
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        long max = 0;
        for (CompletableFuture<Long> f : futures) {
            max = Math.max(max, f.get(30, TimeUnit.SECONDS));
        }
        assertEquals(4000, max);
        assertEquals(4000, readAll(j, 0).size());
        JournalStats s = j.stats();
        assertTrue(s.forces() < 4000, "forces " + s.forces() + " for 4000 appends");
    }

    @Test
    void cursorFollowsAppendsAcrossSegments() throws Exception {
        FileJournal j = open(SMALL);
        List<JournalRecord> seen = new ArrayList<>();
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try (JournalCursor c = j.openCursor(0)) {
                while (seen.size() < 100) {
                    JournalRecord r = c.next(Duration.ofSeconds(10));
                    if (r == null) {
                        throw new AssertionError("no record within 10 s after " + c.position());
                    }
                    seen.add(r);
                }
                assertNull(c.poll(), "nothing past the durable end");
            } catch (IOException | InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
        for (int n = 1; n <= 100; n++) {
            j.append(TestRecords.record(2, n));
            if (n % 10 == 0) {
                Thread.sleep(5);
            }
        }
        reader.get(30, TimeUnit.SECONDS);
        for (int i = 0; i < 100; i++) {
            assertEquals(i + 1, seen.get(i).sequence());
            assertTrue(TestRecords.matches(seen.get(i), 2, i + 1));
        }
        assertTrue(j.stats().segments() > 3, "4 KiB segments rolled: " + j.stats().segments());
        List<JournalRecord> fromMiddle = readAll(j, 57);
        assertEquals(58, fromMiddle.get(0).sequence());
        assertEquals(43, fromMiddle.size());
    }

    @Test
    void confirmIsPersistedAndReloaded() throws Exception {
        FileJournal j = open(SMALL);
        appendAll(j, 20);
        j.confirm(12);
        j.confirm(5);
        assertEquals(12, j.confirmedSequence(), "a lower confirm is ignored");
        assertThrows(IllegalArgumentException.class, () -> j.confirm(21));
        j.close();
        FileJournal again = open(SMALL);
        assertEquals(12, again.confirmedSequence());
        assertEquals(20, again.lastSequence());
        assertEquals(20, again.durableSequence());
        List<JournalRecord> rest = readAll(again, again.confirmedSequence());
        assertEquals(13, rest.get(0).sequence());
        assertEquals(8, rest.size());
        assertEquals(21, append(again, 1, 21), "appends continue after the last recovered sequence");
    }

    @Test
    void retentionBySizeDeletesConfirmedSegmentsOnlyAndNeverTheUnconfirmed() throws Exception {
        JournalSettings s = new JournalSettings(4096, 32 * 1024, Duration.ofDays(1), 1024);
        FileJournal j = open(s);
        appendAll(j, 40);
        j.confirm(30);
        for (int n = 41; n <= 80; n++) {
            append(j, 1, n);
        }
        j.retain();
        JournalStats after = j.stats();
        assertTrue(after.firstSequence() > 1, "old confirmed segments deleted: " + after);
        assertTrue(after.firstSequence() <= 31, "the oldest unconfirmed record is kept: " + after);
        assertTrue(after.bytes() <= s.maxBytes() || j.segments.firstEntry().getValue().lastSequence() > 30,
                "deleted until under max-bytes or at the first unconfirmed segment: " + after);
        List<JournalRecord> unconfirmed = readAll(j, 30);
        assertEquals(50, unconfirmed.size());
        assertEquals(31, unconfirmed.get(0).sequence());
        assertThrows(SequenceRetiredException.class, () -> j.openCursor(0));
    }

    @Test
    void unconfirmedRecordsOutliveMaxAge() throws Exception {
        FileJournal j = open(new JournalSettings(4096, 32 * 1024, Duration.ofHours(1), 1024));
        appendAll(j, 40);
        int segments = j.stats().segments();
        clock.millis.addAndGet(Duration.ofDays(3).toMillis());
        j.retain();
        assertEquals(1, j.stats().firstSequence(), "nothing confirmed: nothing deleted");
        assertEquals(segments, j.stats().segments());
        j.confirm(1);
        assertEquals(1, j.stats().firstSequence(), "the first segment still holds unconfirmed records");
        assertEquals(40, readAll(j, 1).size() + 1);
    }

    @Test
    void retentionByAgeKeepsTheActiveSegment() throws Exception {
        FileJournal j = open(new JournalSettings(4096, 1 << 20, Duration.ofHours(1), 1024));
        appendAll(j, 30);
        int segments = j.stats().segments();
        assertTrue(segments > 2, "segments: " + segments);
        j.confirm(30);
        assertEquals(segments, j.stats().segments(), "young and small: kept");
        clock.millis.addAndGet(Duration.ofHours(2).toMillis());
        j.retain();
        JournalStats s = j.stats();
        assertEquals(1, s.segments(), "every confirmed old segment but the newest deleted");
        assertEquals(s.lastSequence(), s.firstSequence() + s.records() - 1);
        assertNull(j.openCursor(30).poll());
        assertEquals(31, append(j, 1, 31));
        j.close();
        FileJournal again = open(SMALL);
        assertEquals(31, again.lastSequence(), "the journal restarts from its retained segments");
    }

    @Test
    void capOfUnconfirmedBytesRefusesAtOnceUntilConfirmed() throws Exception {
        FileJournal j = open(new JournalSettings(4096, 8192, Duration.ofDays(1), 1024));
        int n = 1;
        CompletableFuture<Long> refused;
        while (true) {
            refused = j.append(TestRecords.record(1, n));
            if (refused.isCompletedExceptionally()) {
                break;
            }
            refused.get(10, TimeUnit.SECONDS);
            n++;
            assertTrue(n < 1000, "no cap");
        }
        ExecutionException e = assertThrows(ExecutionException.class, refused::get);
        JournalFullException full = assertInstanceOf(JournalFullException.class, e.getCause());
        assertEquals(JournalFullException.Reason.CAP, full.reason());
        assertTrue(j.stats().unconfirmedBytes() <= 8192);
        assertEquals(1, j.stats().refusedCap());
        long last = j.lastSequence();
        assertEquals(last, readAll(j, 0).size(), "everything acknowledged is there");
        j.confirm(last);
        assertEquals(last + 1, append(j, 1, n), "confirming frees the cap");
    }

    @Test
    void fullQueueRefusesAtOnce() throws Exception {
        HeldForce hook = new HeldForce();
        FileJournal j = open(new JournalSettings(4096, 1 << 20, Duration.ofDays(1), 4), hook);
        CompletableFuture<Long> first = j.append(TestRecords.record(1, 0));
        assertTrue(hook.entered.await(10, TimeUnit.SECONDS));
        List<CompletableFuture<Long>> accepted = new ArrayList<>();
        JournalFullException full = null;
        for (int n = 1; n <= 10; n++) {
            CompletableFuture<Long> f = j.append(TestRecords.record(1, n));
            if (f.isCompletedExceptionally()) {
                full = assertInstanceOf(JournalFullException.class, assertThrows(ExecutionException.class, f::get).getCause());
            } else {
                accepted.add(f);
            }
        }
        assertEquals(JournalFullException.Reason.QUEUE, full.reason());
        assertEquals(4, accepted.size(), "the queue holds its capacity");
        hook.release.countDown();
        assertEquals(1, first.get(10, TimeUnit.SECONDS));
        for (int i = 0; i < accepted.size(); i++) {
            assertEquals(i + 2, accepted.get(i).get(10, TimeUnit.SECONDS));
        }
        assertEquals(6, j.stats().refusedQueue());
    }

    @Test
    void recoveryTruncatesATornTail() throws Exception {
        writeAndClose(5);
        Path last = lastSegment();
        long size = Files.size(last);
        truncate(last, size - 7);
        FileJournal again = open(SMALL);
        assertEquals(4, again.lastSequence());
        assertTrue(Files.size(last) < size - 7, "cut back to the end of record 4");
        List<JournalRecord> all = readAll(again, 0);
        assertEquals(4, all.size());
        assertTrue(TestRecords.matches(all.get(3), 1, 4));
        assertEquals(5, append(again, 7, 7), "the torn sequence is handed out again: it was never acknowledged");
        assertTrue(TestRecords.matches(readAll(again, 4).get(0), 7, 7));
    }

    @Test
    void recoveryDropsABitFlippedLastRecordAndAZeroFilledTail() throws Exception {
        writeAndClose(5);
        Path last = lastSegment();
        long size = Files.size(last);
        flipByte(last, size - 3);
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate(512));
        }
        FileJournal again = open(SMALL);
        assertEquals(4, again.lastSequence(), "the CRC drops record 5 and everything after it");
        assertEquals(4, readAll(again, 0).size());
    }

    @Test
    void aBadFrameInAnOlderSegmentRefusesToOpenNamingFileAndOffset() throws Exception {
        writeAndClose(40);
        List<Path> files = SegmentFiles.list(dir);
        assertTrue(files.size() > 2);
        Path older = files.get(0);
        flipByte(older, Files.size(older) / 2);
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> open(SMALL));
        assertEquals(older, e.file());
        assertTrue(e.offset() >= 0 && e.offset() <= Files.size(older) / 2, "offset " + e.offset());
        assertTrue(e.getMessage().contains(older.getFileName().toString()), e.getMessage());
        assertTrue(Files.size(older) > 0, "nothing truncated");
    }

    @Test
    void aMissingSegmentRefusesToOpen() throws Exception {
        writeAndClose(40);
        List<Path> files = SegmentFiles.list(dir);
        Files.delete(files.get(1));
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> open(SMALL));
        assertEquals(files.get(2), e.file());
    }

    @Test
    void anEmptySegmentLeftByACrashDuringARollIsReused() throws Exception {
        writeAndClose(3);
        Files.createFile(SegmentFiles.path(dir, 4));
        FileJournal again = open(SMALL);
        assertEquals(3, again.lastSequence());
        assertEquals(4, append(again, 1, 4));
        assertEquals(List.of(SegmentFiles.path(dir, 1), SegmentFiles.path(dir, 4)), SegmentFiles.list(dir));
    }

    @Test
    void aWatermarkBeyondTheRecordsRefusesToOpen() throws Exception {
        writeAndClose(3);
        Watermark.write(dir, 9);
        JournalCorruptException e = assertThrows(JournalCorruptException.class, () -> open(SMALL));
        assertTrue(e.getMessage().contains("confirmed sequence 9 is beyond the last record 3"), e.getMessage());
    }

    @Test
    void closeWritesEverythingQueuedThenRefuses() throws Exception {
        HeldForce hook = new HeldForce();
        FileJournal j = open(SMALL, hook);
        List<CompletableFuture<Long>> futures = new ArrayList<>();
        futures.add(j.append(TestRecords.record(1, 0)));
        assertTrue(hook.entered.await(10, TimeUnit.SECONDS));
        for (int n = 1; n <= 50; n++) {
            futures.add(j.append(TestRecords.record(1, n)));
        }
        Thread closer = Thread.ofPlatform().start(j::close);
        while (!j.isClosed()) {
            Thread.onSpinWait();
        }
        hook.release.countDown();
        closer.join(10_000);
        assertFalse(closer.isAlive());
        for (int i = 0; i < futures.size(); i++) {
            assertTrue(futures.get(i).isDone(), "close completes every pending append");
            assertEquals(i + 1, futures.get(i).get());
        }
        ExecutionException e = assertThrows(ExecutionException.class, () -> j.append(TestRecords.record(1, 99)).get());
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertEquals(51, open(SMALL).lastSequence());
    }

    @Test
    void aWriterFailureFailsEveryPendingAppendAndEveryLaterOne() throws Exception {
        HeldForce held = new HeldForce();
        FileJournal j = open(SMALL, () -> {
            held.beforeForce();
            if (held.calls.get() == 2) {
                throw new IllegalStateException("simulated writer failure");
            }
        });
        CompletableFuture<Long> first = j.append(TestRecords.record(1, 0));
        assertTrue(held.entered.await(10, TimeUnit.SECONDS));
        List<CompletableFuture<Long>> queued = new ArrayList<>();
        for (int n = 1; n <= 20; n++) {
            queued.add(j.append(TestRecords.record(1, n)));
        }
        held.release.countDown();
        assertEquals(1, first.get(10, TimeUnit.SECONDS));
        // the 20 share one batch; its first roll (4 KiB segments) fsyncs mid-batch, and that fsync fails
        for (CompletableFuture<Long> f : queued) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
        }
        ExecutionException later = assertThrows(ExecutionException.class, () -> j.append(TestRecords.record(1, 99)).get());
        assertTrue(later.getCause().getMessage().contains("failed; reopen it"), later.getCause().getMessage());
        assertEquals(0, j.stats().unconfirmedBytes() - (Frames.HEADER_BYTES + RecordCodec.encode(TestRecords.record(1, 0)).length),
                "the failed appends hold no bytes against the cap");
    }

    @Test
    void aRecordOverABoundFailsItsFutureAndTakesNoSequence() throws Exception {
        FileJournal j = open(SMALL);
        JournalRecord huge = JournalRecord.unsequenced("r", "c", 0, "k", "i", "POST", "/" + "x".repeat(70_000), List.of(),
                new byte[0], 200, null, null);
        ExecutionException e = assertThrows(ExecutionException.class, () -> j.append(huge).get());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals(1, append(j, 1, 1));
    }

    @Test
    void statsShowSizesWatermarksAndTheOldestUnconfirmedRecord() throws Exception {
        FileJournal j = open(SMALL);
        assertEquals(-1, j.stats().oldestUnconfirmedAppendMillis());
        for (int n = 1; n <= 30; n++) {
            clock.millis.addAndGet(1000);
            append(j, 1, n);
        }
        j.confirm(10);
        JournalStats s = j.stats();
        assertEquals(30, s.records());
        assertEquals(30, s.lastSequence());
        assertEquals(30, s.durableSequence());
        assertEquals(10, s.confirmedSequence());
        assertEquals(1_700_000_000_000L + 11_000, s.oldestUnconfirmedAppendMillis());
        long fileBytes = 0;
        for (Path p : SegmentFiles.list(dir)) {
            fileBytes += Files.size(p);
        }
        assertEquals(fileBytes, s.bytes());
        assertEquals(SegmentFiles.list(dir).size(), s.segments());
        long unconfirmed = 0;
        for (JournalRecord r : readAll(j, 10)) {
            unconfirmed += Frames.HEADER_BYTES + RecordCodec.encode(r).length;
        }
        assertEquals(unconfirmed, s.unconfirmedBytes());
        j.confirm(30);
        assertEquals(-1, j.stats().oldestUnconfirmedAppendMillis());
        assertEquals(0, j.stats().unconfirmedBytes());
    }

    /** Record (9, n) as the origin journal stamped it: sequence {@code seq}, time from it. */
    private static JournalRecord replica(long seq) {
        return TestRecords.record(9, seq).withSequence(seq, 1_600_000_000_000L + seq);
    }

    private static long appendReplica(Journal j, long seq) throws Exception {
        return j.appendReplica(replica(seq)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void replicaAppendsKeepTheOriginsSequenceAndTimeAndMustBeContiguous() throws Exception {
        FileJournal j = open(SMALL);
        List<CompletableFuture<Long>> queued = new ArrayList<>();
        for (long seq = 1; seq <= 30; seq++) {
            queued.add(j.appendReplica(replica(seq)));
        }
        for (int i = 0; i < queued.size(); i++) {
            assertEquals(i + 1, queued.get(i).get(10, TimeUnit.SECONDS));
        }
        ExecutionException gap = assertThrows(ExecutionException.class, () -> appendReplica(j, 32));
        assertInstanceOf(IllegalArgumentException.class, gap.getCause());
        assertTrue(gap.getCause().getMessage().contains("expected 31"), gap.getCause().getMessage());
        ExecutionException again = assertThrows(ExecutionException.class, () -> appendReplica(j, 30));
        assertInstanceOf(IllegalArgumentException.class, again.getCause());
        assertInstanceOf(IllegalArgumentException.class, assertThrows(ExecutionException.class,
                () -> j.appendReplica(replica(1).withSequence(0, 5)).get()).getCause());
        assertEquals(30, j.lastSequence(), "refused replicas take no place");
        assertEquals(0, j.stats().unconfirmedBytes() - j.stats().bytes(), "refused replicas hold no bytes");
        assertEquals(31, appendReplica(j, 31));
        List<JournalRecord> all = readAll(j, 0);
        assertEquals(31, all.size());
        for (JournalRecord r : all) {
            assertEquals(replica(r.sequence()), r, "sequence and append time are the origin's");
        }
        assertEquals(32, append(j, 1, 1), "a local append continues after the replicas");
    }

    @Test
    void anEmptyReplicaJournalStartsAtTheFirstSequenceItIsGivenAndRecoversThere() throws Exception {
        FileJournal j = open(SMALL);
        try (JournalCursor early = j.openCursor(0)) {
            assertEquals(1000, appendReplica(j, 1000));
            assertEquals(999, j.confirmedSequence(), "the skipped sequences count as confirmed");
            assertEquals(1000, early.poll().sequence(), "a cursor opened before the start goes on at the first record");
        }
        assertThrows(SequenceRetiredException.class, () -> j.openCursor(0), "a new cursor must start at a record held");
        for (long seq = 1001; seq <= 1040; seq++) {
            assertEquals(seq, appendReplica(j, seq));
        }
        assertEquals(SegmentFiles.path(dir, 1000), SegmentFiles.list(dir).get(0));
        assertTrue(SegmentFiles.list(dir).size() > 2, "rolled across segments");
        j.close();

        FileJournal again = open(SMALL);
        assertEquals(1040, again.lastSequence());
        assertEquals(999, again.confirmedSequence(), "derived from the first segment's name");
        List<JournalRecord> all = readAll(again, 999);
        assertEquals(41, all.size());
        assertEquals(replica(1000), all.get(0));
        assertEquals(replica(1040), all.get(40));
        assertEquals(40, readAll(again, 1000).size());
        assertEquals(1041, appendReplica(again, 1041));
        again.confirm(1020);
        assertEquals(1020, again.confirmedSequence());
        assertEquals(21, readAll(again, 1020).size());
    }

    @Test
    void aReplicaJournalStartingLateKeepsItsRecordsThroughATornTail() throws Exception {
        try (FileJournal j = FileJournal.open(dir, SMALL, clock, FileJournal.NO_HOOK)) {
            for (long seq = 1000; seq <= 1004; seq++) {
                assertEquals(seq, appendReplica(j, seq));
            }
        }
        Path last = lastSegment();
        truncate(last, Files.size(last) - 5);
        FileJournal again = open(SMALL);
        assertEquals(1003, again.lastSequence(), "record 1004 was torn");
        assertEquals(List.of(1000L, 1001L, 1002L, 1003L), readAll(again, 999).stream().map(JournalRecord::sequence).toList());
        assertEquals(1004, appendReplica(again, 1004));
        assertEquals(replica(1004), readAll(again, 1003).get(0));
    }

    @Test
    void anEmptyNewestSegmentIsRenamedWhenAReplicaJournalJumps() throws Exception {
        writeAndClose(3);
        FileJournal j = open(SMALL);
        j.confirm(3);
        Files.createFile(SegmentFiles.path(dir, 4));
        j.close();
        Files.delete(SegmentFiles.path(dir, 1));
        FileJournal again = open(SMALL);
        assertEquals(3, again.lastSequence());
        ExecutionException back = assertThrows(ExecutionException.class, () -> appendReplica(again, 2));
        assertInstanceOf(IllegalArgumentException.class, back.getCause(), "never back below a sequence handed out");
        assertEquals(500, appendReplica(again, 500));
        assertEquals(List.of(SegmentFiles.path(dir, 500)), SegmentFiles.list(dir));
        again.close();
        FileJournal third = open(SMALL);
        assertEquals(500, third.lastSequence());
        assertEquals(499, third.confirmedSequence());
        assertEquals(replica(500), readAll(third, 499).get(0));
    }

    private Path lastSegment() throws IOException {
        List<Path> files = SegmentFiles.list(dir);
        return files.get(files.size() - 1);
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static void flipByte(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x10)).rewind();
            ch.write(b, offset);
        }
    }
}
