package io.pharos.proxy.demo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

/**
 * The key-value app's store file {@code DIR/kv.log}, shared by every instance (process) over {@code DIR}:
 * frames {@code [int32 length][int32 CRC32C of payload][payload]} appended one after the other, each
 * payload one {@link KvEntry}. Writers hold {@link #lock()}: an exclusive {@link FileLock} on
 * {@code DIR/kv.lock} (between processes) taken under a JVM-wide lock per directory (between instances in
 * one JVM, which a {@code FileLock} cannot separate). A frame that is cut short or fails its checksum ends
 * the readable log; under the lock nobody is writing, so such a tail is torn (a writer died in the middle)
 * and {@link #truncate} cuts it.
 *
 * <p>Thread-safe only under {@link #lock()}, except {@link #scan}, which reads without locking.
 */
final class KvLog implements AutoCloseable {
    static final String LOG_FILE = "kv.log";
    static final String LOCK_FILE = "kv.lock";
    static final int HEADER_BYTES = 8;

    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final ReentrantLock jvmLock;
    private final FileChannel log;
    private final FileChannel lockFile;

    /** The entries found from an offset, and where the readable log ends (a torn tail starts there). */
    record Scan(List<KvEntry> entries, long end, long size) {
        boolean torn() {
            return end < size;
        }
    }

    private KvLog(ReentrantLock jvmLock, FileChannel log, FileChannel lockFile) {
        this.jvmLock = jvmLock;
        this.log = log;
        this.lockFile = lockFile;
    }

    /** Opens (creating) the store in {@code dir}. Blocks on file I/O. */
    static KvLog open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path real = dir.toRealPath();
        FileChannel log = FileChannel.open(real.resolve(LOG_FILE), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            FileChannel lock = FileChannel.open(real.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new KvLog(JVM_LOCKS.computeIfAbsent(real, d -> new ReentrantLock()), log, lock);
        } catch (IOException e) {
            log.close();
            throw e;
        }
    }

    /** Held while reading and writing; closing it unlocks. Blocks until every other instance let go. */
    interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    Held lock() throws IOException {
        jvmLock.lock();
        FileLock fileLock;
        try {
            fileLock = lockFile.lock();
        } catch (IOException | RuntimeException e) {
            jvmLock.unlock();
            throw e;
        }
        return () -> {
            try {
                fileLock.release();
            } finally {
                jvmLock.unlock();
            }
        };
    }

    /** Reads the complete entries from {@code from} (a frame boundary) on. Call under {@link #lock()}. */
    Scan read(long from) throws IOException {
        return parse(log, from);
    }

    /** Cuts the file back to {@code end}; under {@link #lock()}, with {@code end} from a {@link Scan}. */
    void truncate(long end) throws IOException {
        log.truncate(end);
        log.force(true);
    }

    /**
     * Appends one frame at {@code end} (the end of the last {@link #read}), with {@code force} forces it (and
     * every frame before it) to disk; returns the new end. On failure the file is cut back to {@code end}, so no half frame stays behind. Under {@link #lock()}.
     */
    long append(long end, byte[] payload, boolean force) throws IOException {
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + payload.length);
        frame.putInt(payload.length).putInt((int) crc.getValue()).put(payload).flip();
        try {
            long at = end;
            while (frame.hasRemaining()) {
                at += log.write(frame, at);
            }
            if (force) {
                log.force(false);
            }
            return at;
        } catch (IOException | RuntimeException e) {
            try {
                log.truncate(end);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Reads {@code dir}'s log without locking it (a checker's view); an absent store is empty. Blocks on file I/O. */
    static Scan scan(Path dir) throws IOException {
        Path file = dir.resolve(LOG_FILE);
        if (!Files.exists(file)) {
            return new Scan(List.of(), 0, 0);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return parse(ch, 0);
        }
    }

    private static Scan parse(FileChannel ch, long from) throws IOException {
        long size = ch.size();
        List<KvEntry> entries = new ArrayList<>();
        long at = from;
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (size - at >= HEADER_BYTES) {
            header.clear();
            if (!readFully(ch, header, at)) {
                break;
            }
            int length = header.getInt(0);
            if (length <= 0 || length > KvEntry.MAX_BYTES || length > size - at - HEADER_BYTES) {
                break;
            }
            ByteBuffer payload = ByteBuffer.allocate(length);
            if (!readFully(ch, payload, at + HEADER_BYTES)) {
                break;
            }
            CRC32C crc = new CRC32C();
            crc.update(payload.array());
            if ((int) crc.getValue() != header.getInt(4)) {
                break;
            }
            entries.add(KvEntry.decode(payload.array()));
            at += HEADER_BYTES + length;
        }
        return new Scan(entries, at, size);
    }

    /** False when the file ends first (a writer cut a torn tail while {@link #scan} read without the lock). */
    private static boolean readFully(FileChannel ch, ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf, at + buf.position()) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Closes both files under the JVM-wide lock: closing a channel releases every lock this process holds on
     * the file (POSIX), so it must not happen while another instance in this JVM holds {@code kv.lock}.
     */
    @Override
    public void close() throws IOException {
        jvmLock.lock();
        try (lockFile) {
            log.close();
        } finally {
            jvmLock.unlock();
        }
    }
}
