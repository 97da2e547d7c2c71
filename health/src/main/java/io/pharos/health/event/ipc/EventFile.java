package io.pharos.health.event.ipc;

import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.broadcast.BroadcastBufferDescriptor;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

import static io.pharos.health.event.ipc.EventRingDescriptor.*;

/**
 * One mapping of the event file laid out by {@link EventRingDescriptor}: the header, the ring and the
 * broadcast areas as Agrona buffers, and the identity of the file (inode) so that a reader can tell
 * when the writer replaced it. Confined to the thread that opened it; {@link #close()} unmaps.
 */
final class EventFile implements AutoCloseable {
    private final Path path;
    private final Object fileKey;
    private final MappedByteBuffer mapped;
    final UnsafeBuffer header;
    final AtomicBuffer ring;
    final AtomicBuffer broadcast;

    private EventFile(Path path, Object fileKey, MappedByteBuffer mapped, int ringCapacity, int broadcastCapacity) {
        this.path = path;
        this.fileKey = fileKey;
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        this.ring = new UnsafeBuffer(mapped, ringOffset(), ringCapacity + RingBufferDescriptor.TRAILER_LENGTH);
        this.broadcast = new UnsafeBuffer(mapped, broadcastOffset(ringCapacity),
                broadcastCapacity + BroadcastBufferDescriptor.TRAILER_LENGTH);
    }

    /**
     * For the writer: reuses the existing file when its layout matches (so a restarted proxy keeps the
     * ring, its positions and counters, and a sidecar attached to it keeps reading), otherwise creates
     * a new file next to it and renames it into place (a new inode: attached readers notice and reattach).
     */
    static EventFile openOrCreate(Path path, int ringCapacity, int broadcastCapacity) {
        if (ringCapacity < 1024 || Integer.bitCount(ringCapacity) != 1) {
            throw new IllegalArgumentException("ringCapacity: " + ringCapacity + " (expected: a power of two >= 1024)");
        }
        if (broadcastCapacity < 1024 || Integer.bitCount(broadcastCapacity) != 1) {
            throw new IllegalArgumentException("broadcastCapacity: " + broadcastCapacity + " (expected: a power of two >= 1024)");
        }
        try {
            EventFile existing = tryOpen(path);
            if (existing != null) {
                if (existing.ringCapacity() == ringCapacity && existing.broadcastCapacity() == broadcastCapacity) {
                    return existing;
                }
                existing.close();
            }
        } catch (IllegalStateException e) {
            // not a valid event file: replaced below
        }
        try {
            Path dir = path.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = dir.resolve(path.getFileName() + ".new." + ProcessHandle.current().pid());
            Files.deleteIfExists(tmp);
            long length = fileLength(ringCapacity, broadcastCapacity);
            MappedByteBuffer mapped = IoUtil.mapNewFile(tmp.toFile(), length, true);
            UnsafeBuffer h = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
            h.putInt(VERSION_OFFSET, VERSION, ORDER);
            h.putInt(RING_CAPACITY_OFFSET, ringCapacity, ORDER);
            h.putInt(BROADCAST_CAPACITY_OFFSET, broadcastCapacity, ORDER);
            h.putIntRelease(MAGIC_OFFSET, MAGIC);
            mapped.force();
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return new EventFile(path, key, mapped, ringCapacity, broadcastCapacity);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create event file " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * For readers: maps an existing file; {@code null} when there is none yet.
     *
     * @throws IllegalStateException when the file exists but is not (yet) a valid event file
     */
    static EventFile tryOpen(Path path) {
        try {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
            if (attrs.size() < HEADER_LENGTH) {
                throw new IllegalStateException(path + " is too short for an event file (" + attrs.size() + " bytes)");
            }
            MappedByteBuffer mapped;
            try (FileChannel ch = FileChannel.open(path, java.nio.file.StandardOpenOption.READ,
                    java.nio.file.StandardOpenOption.WRITE)) {
                mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, attrs.size());
            }
            UnsafeBuffer h = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
            int magic = h.getIntAcquire(MAGIC_OFFSET);
            int version = h.getInt(VERSION_OFFSET, ORDER);
            int ringCapacity = h.getInt(RING_CAPACITY_OFFSET, ORDER);
            int broadcastCapacity = h.getInt(BROADCAST_CAPACITY_OFFSET, ORDER);
            String problem = null;
            if (magic != MAGIC) {
                problem = "bad magic 0x" + Integer.toHexString(magic);
            } else if (version != VERSION) {
                problem = "version " + version + " (expected " + VERSION + ")";
            } else if (ringCapacity <= 0 || Integer.bitCount(ringCapacity) != 1
                    || broadcastCapacity <= 0 || Integer.bitCount(broadcastCapacity) != 1
                    || fileLength(ringCapacity, broadcastCapacity) != attrs.size()) {
                problem = "capacities " + ringCapacity + "/" + broadcastCapacity + " do not match the file size " + attrs.size();
            }
            if (problem != null) {
                IoUtil.unmap(mapped);
                throw new IllegalStateException(path + " is not a pharos event file: " + problem);
            }
            return new EventFile(path, attrs.fileKey(), mapped, ringCapacity, broadcastCapacity);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot map event file " + path + ": " + e.getMessage(), e);
        }
    }

    int ringCapacity() {
        return header.getInt(RING_CAPACITY_OFFSET, ORDER);
    }

    int broadcastCapacity() {
        return header.getInt(BROADCAST_CAPACITY_OFFSET, ORDER);
    }

    /** Whether the path now names another file (the writer replaced it) or nothing. Does file I/O. */
    boolean replaced() {
        try {
            return !Objects.equals(fileKey, Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return true;
        }
    }

    Path path() {
        return path;
    }

    @Override
    public void close() {
        IoUtil.unmap(mapped);
    }
}
