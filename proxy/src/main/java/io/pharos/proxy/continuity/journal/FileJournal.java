package io.pharos.proxy.continuity.journal;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.SynchronizedHistogram;
import org.jctools.queues.MpscArrayQueue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The segment-file journal: the state every thread shares, the append hand-over, confirm, retention and
 * stats. The file writing itself is {@link JournalWriter}, on the one writer thread this class starts.
 *
 * <p>Threads: {@link #append} from any thread (lock-free, never blocks); the writer thread owns the
 * active segment file; {@link #confirm} and {@link #retain} serialize on their own locks and block on
 * the disk; cursors read files with their own channels.
 */
final class FileJournal implements Journal {
    private static final Logger LOG = Logger.getLogger(FileJournal.class.getName());

    /** Called by the writer right before each fsync of segment data (a test seam to hold a force). */
    @FunctionalInterface
    interface ForceHook {
        void beforeForce();
    }

    static final ForceHook NO_HOOK = () -> {
    };

    /** One append waiting for the writer; its sequence is set by the writer. */
    static final class Pending {
        final byte[] payload;
        /** A replica keeps the sequence and time it carries; the writer checks it is the next one. */
        final boolean replica;
        final CompletableFuture<Long> future = new CompletableFuture<>();
        /** Assigned by the writer thread when it buffers the record. */
        long sequence;
        /**
         * Writer thread: set once the writer has answered this append (durable, refused or failed), so a
         * second failure path neither answers it again nor releases its bytes twice; a caller that
         * completes or cancels the future itself does not change it.
         */
        boolean settled;

        Pending(byte[] payload, boolean replica) {
            this.payload = payload;
            this.replica = replica;
        }

        int frameBytes() {
            return Frames.HEADER_BYTES + payload.length;
        }
    }

    final Path dir;
    final JournalSettings settings;
    final Clock clock;
    final ForceHook forceHook;
    final MpscArrayQueue<Pending> queue;
    /** Every retained segment by first sequence; the writer adds, retention removes. */
    final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    /** Bytes of appends queued or written but not confirmed: what the cap counts. */
    final AtomicLong heldBytes = new AtomicLong();
    final LongAdder appended = new LongAdder();
    final LongAdder forces = new LongAdder();
    final LongAdder refusedQueue = new LongAdder();
    final LongAdder refusedCap = new LongAdder();
    final LongAdder refusedDisk = new LongAdder();
    final SynchronizedHistogram fsyncMicros = new SynchronizedHistogram(TimeUnit.SECONDS.toMicros(60), 3);
    private final Object durableMonitor = new Object();
    private final Object confirmLock = new Object();
    private final Object retentionLock = new Object();
    private final AtomicInteger producers = new AtomicInteger();
    private final Thread writerThread;

    /** Last sequence handed out; written by the writer thread (recovery before it starts). */
    volatile long lastSequence;
    /** Last sequence an fsync covers; written by the writer thread (recovery before it starts). */
    volatile long durableSequence;
    /** The peer's durable watermark; written under {@code confirmLock} (open before that). */
    private volatile long confirmedSequence;
    /** Appends fail with DISK until this {@link System#nanoTime()} (open sets "now"); written by the writer thread. */
    volatile long diskRefusedUntilNanos;
    /** Set once by the writer thread when an fsync failed: nothing can be trusted to the file after that. */
    volatile Throwable failure;
    /** Set once by {@link #close}: appends are refused. */
    private volatile boolean closed;
    /** Set by {@link #close} once no producer is inside {@link #append}: the writer drains and exits. */
    volatile boolean stopRequested;

    private FileJournal(Path dir, JournalSettings settings, Clock clock, ForceHook forceHook) {
        this.dir = dir;
        this.settings = settings;
        this.clock = clock;
        this.forceHook = forceHook;
        this.queue = new MpscArrayQueue<>(settings.queueCapacity());
        this.diskRefusedUntilNanos = System.nanoTime();
        this.writerThread = new Thread(this::runWriter, "pharos-journal-writer");
        this.writerThread.setDaemon(true);
    }

    /** Opens and recovers {@code dir}, then starts the writer thread; blocks on the disk. */
    static FileJournal open(Path dir, JournalSettings settings, Clock clock, ForceHook forceHook) throws IOException {
        Files.createDirectories(dir);
        JournalScan scan = JournalScan.of(dir);
        if (scan.tornTail() != null) {
            JournalScan.TornTail t = scan.tornTail();
            LOG.warning("journal " + dir + ": truncating a torn tail of " + t.bytes() + " bytes at offset " + t.offset()
                    + " of " + t.file().getFileName() + " (" + t.problem() + ")");
            try (FileChannel ch = FileChannel.open(t.file(), StandardOpenOption.WRITE)) {
                ch.truncate(t.offset());
                ch.force(true);
            }
        }
        FileJournal j = new FileJournal(dir, settings, clock, forceHook);
        for (Segment s : scan.segments()) {
            j.segments.put(s.firstSequence, s);
        }
        long last = scan.lastSequence();
        long confirmed = Watermark.read(dir);
        if (confirmed > last) {
            throw new JournalCorruptException(dir.resolve(Watermark.FILE), -1, "confirmed sequence " + confirmed
                    + " is beyond the last record " + last + " (segment files missing?)");
        }
        if (!scan.segments().isEmpty()) {
            // what precedes the oldest segment was retired (hence confirmed) or skipped by a replica journal
            confirmed = Math.max(confirmed, scan.segments().get(0).firstSequence - 1);
        }
        j.lastSequence = last;
        j.durableSequence = last;
        j.confirmedSequence = confirmed;
        j.heldBytes.set(j.bytesBetween(confirmed, last));
        j.writerThread.start();
        return j;
    }

    private void runWriter() {
        Segment active = segments.isEmpty() ? null : segments.lastEntry().getValue();
        new JournalWriter(this, active).run();
    }

    @Override
    public CompletableFuture<Long> append(JournalRecord record) {
        return enqueue(record, false);
    }

    @Override
    public CompletableFuture<Long> appendReplica(JournalRecord record) {
        if (record.sequence() < 1) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("replica sequence: " + record.sequence()
                    + " (expected: >= 1)"));
        }
        return enqueue(record, true);
    }

    private CompletableFuture<Long> enqueue(JournalRecord record, boolean replica) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("journal " + dir + " is closed"));
        }
        Throwable failed = failure;
        if (failed != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("journal " + dir + " failed; reopen it", failed));
        }
        if (System.nanoTime() - diskRefusedUntilNanos < 0) {
            refusedDisk.increment();
            return CompletableFuture.failedFuture(new JournalFullException(JournalFullException.Reason.DISK,
                    "journal " + dir + ": the disk refused the last write"));
        }
        Pending p;
        try {
            p = new Pending(RecordCodec.encode(record), replica);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(e);
        }
        int size = p.frameBytes();
        if (heldBytes.addAndGet(size) > settings.maxBytes()) {
            heldBytes.addAndGet(-size);
            refusedCap.increment();
            return CompletableFuture.failedFuture(new JournalFullException(JournalFullException.Reason.CAP,
                    "journal " + dir + ": " + settings.maxBytes() + " bytes not confirmed by the peer"));
        }
        // close() waits for producers to leave before it stops the writer, so nothing offered is stranded
        producers.incrementAndGet();
        try {
            if (closed) {
                heldBytes.addAndGet(-size);
                return CompletableFuture.failedFuture(new IllegalStateException("journal " + dir + " is closed"));
            }
            if (!queue.offer(p)) {
                heldBytes.addAndGet(-size);
                refusedQueue.increment();
                return CompletableFuture.failedFuture(new JournalFullException(JournalFullException.Reason.QUEUE,
                        "journal " + dir + ": " + settings.queueCapacity() + " appends waiting for the disk"));
            }
        } finally {
            producers.decrementAndGet();
        }
        LockSupport.unpark(writerThread);
        return p.future;
    }

    @Override
    public long lastSequence() {
        return lastSequence;
    }

    @Override
    public long durableSequence() {
        return durableSequence;
    }

    @Override
    public long confirmedSequence() {
        return confirmedSequence;
    }

    @Override
    public JournalCursor openCursor(long afterSequence) {
        long last = lastSequence;
        if (afterSequence < 0 || afterSequence > last) {
            throw new IllegalArgumentException("afterSequence: " + afterSequence + " (expected: 0.." + last + ")");
        }
        long first = firstSequence();
        if (afterSequence + 1 < first) {
            throw new SequenceRetiredException(afterSequence + 1, first);
        }
        return new FileCursor(this, afterSequence);
    }

    @Override
    public void confirm(long sequence) throws IOException {
        synchronized (confirmLock) {
            long old = confirmedSequence;
            if (sequence <= old) {
                return;
            }
            long durable = durableSequence;
            if (sequence > durable) {
                throw new IllegalArgumentException("sequence: " + sequence + " (expected: <= durable sequence " + durable + ")");
            }
            Watermark.write(dir, sequence);
            long freed = bytesBetween(old, sequence);
            confirmedSequence = sequence;
            heldBytes.addAndGet(-freed);
        }
        retain();
    }

    /**
     * Deletes the oldest segments while every record in them is confirmed and the journal is over
     * {@code max-bytes} or they are older than {@code max-age}; never the newest segment (the writer's).
     * Called by the writer thread now and then and after each confirm; blocks on the disk.
     */
    void retain() {
        synchronized (retentionLock) {
            long confirmed = confirmedSequence;
            long oldestKept = clock.millis() - settings.maxAge().toMillis();
            long bytes = bytes();
            while (segments.size() > 1) {
                Segment s = segments.firstEntry().getValue();
                if (s.lastSequence() > confirmed || (bytes <= settings.maxBytes() && s.lastAppendMillis() >= oldestKept)) {
                    return;
                }
                segments.remove(s.firstSequence);
                bytes -= s.bytes();
                try {
                    Files.deleteIfExists(s.file);
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "journal " + dir + ": cannot delete retired segment " + s.file, e);
                }
            }
        }
    }

    @Override
    public JournalStats stats() {
        long last = lastSequence;
        long first = firstSequence();
        long confirmed = confirmedSequence;
        return new JournalStats(bytes(), segments.size(), first == 0 ? 0 : Math.max(0, last - first + 1), first, last,
                durableSequence, confirmed, heldBytes.get(), appendTimeOf(confirmed + 1), appended.sum(), forces.sum(),
                refusedQueue.sum(), refusedCap.sum(), refusedDisk.sum(), copyFsyncHistogram());
    }

    private Histogram copyFsyncHistogram() {
        Histogram h = new Histogram(fsyncMicros.getHighestTrackableValue(), fsyncMicros.getNumberOfSignificantValueDigits());
        fsyncMicros.copyInto(h);
        return h;
    }

    @Override
    public void close() {
        closed = true;
        while (producers.get() != 0) {
            Thread.onSpinWait();
        }
        stopRequested = true;
        LockSupport.unpark(writerThread);
        boolean interrupted = false;
        while (writerThread.isAlive()) {
            try {
                writerThread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        synchronized (durableMonitor) {
            durableMonitor.notifyAll();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * A replica journal that held nothing continues after {@code sequence}: the sequences up to it count as
     * handed out, durable and confirmed (confirmed first, so a cursor that sees the new durable sequence
     * also sees them confirmed and skips them). Writer thread, after the segment file was made.
     */
    void skipTo(long sequence) {
        synchronized (confirmLock) {
            if (confirmedSequence < sequence) {
                confirmedSequence = sequence;
            }
        }
        lastSequence = sequence;
        durableSequence = sequence;
        signalDurable();
    }

    boolean isClosed() {
        return closed;
    }

    /** Wakes cursors waiting in {@link #awaitDurable}; writer thread, after it published a durable sequence. */
    void signalDurable() {
        synchronized (durableMonitor) {
            durableMonitor.notifyAll();
        }
    }

    /** Waits until {@code sequence} is durable or the deadline passed; false on timeout or close. */
    boolean awaitDurable(long sequence, long deadlineNanos) throws InterruptedException {
        synchronized (durableMonitor) {
            while (durableSequence < sequence && !closed) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(durableMonitor, left);
            }
            return durableSequence >= sequence;
        }
    }

    /** The retained segment holding {@code sequence}, or null when retention deleted it. */
    Segment segmentFor(long sequence) {
        Map.Entry<Long, Segment> e = segments.floorEntry(sequence);
        return e != null && e.getValue().contains(sequence) ? e.getValue() : null;
    }

    /** The oldest retained sequence, 0 when the journal holds none. */
    long firstSequence() {
        Map.Entry<Long, Segment> e = segments.firstEntry();
        return e == null || e.getValue().count() == 0 ? 0 : e.getKey();
    }

    private long bytes() {
        long sum = 0;
        for (Segment s : segments.values()) {
            sum += s.bytes();
        }
        return sum;
    }

    /** Frame bytes of the durable records after {@code after} up to {@code upTo}. */
    private long bytesBetween(long after, long upTo) {
        if (upTo <= after) {
            return 0;
        }
        long sum = 0;
        Long from = segments.floorKey(after + 1);
        for (Segment s : segments.tailMap(from == null ? Long.MIN_VALUE : from).values()) {
            if (s.firstSequence > upTo) {
                break;
            }
            long start = s.contains(after + 1) ? s.offsetOf(after + 1) : 0;
            long end = s.contains(upTo) ? s.endOf(upTo) : s.bytes();
            sum += end - start;
        }
        return sum;
    }

    /** Append time of a durable record, -1 when there is none or it cannot be read. */
    private long appendTimeOf(long sequence) {
        if (sequence > durableSequence) {
            return -1;
        }
        Segment s = segmentFor(sequence);
        if (s == null) {
            return -1;
        }
        ByteBuffer stamp = ByteBuffer.allocate(RecordCodec.STAMP_BYTES);
        try (FileChannel ch = FileChannel.open(s.file, StandardOpenOption.READ)) {
            Frames.readFully(ch, stamp, s.offsetOf(sequence) + Frames.HEADER_BYTES);
        } catch (IOException e) {
            return -1;
        }
        return RecordCodec.peekAppendTime(stamp.array());
    }
}
