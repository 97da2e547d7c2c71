package io.pharos.proxy.demo;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which instances of a store are alive, so that an Idempotency-Key reserved by an instance that died
 * (killed between reserving the key and answering) is taken over instead of answering 409 forever. Each
 * instance holds an exclusive {@link FileLock} on {@code DIR/owners/ID.lock} while it runs; the operating
 * system drops it when the process dies, however it dies. An owner is dead when its file is gone or can be
 * locked. Owners in this JVM are known without touching their file (closing a channel would release this
 * process's lock on it).
 *
 * <p>{@link #alive} runs under the store's lock (one caller at a time per store); the rest at open and close.
 */
final class KvOwners implements AutoCloseable {
    static final String DIR = "owners";
    private static final Set<String> IN_THIS_JVM = ConcurrentHashMap.newKeySet();

    private final String id;
    private final Path dir;
    private final FileChannel channel;
    private final FileLock lock;

    private KvOwners(String id, Path dir, FileChannel channel, FileLock lock) {
        this.id = id;
        this.dir = dir;
        this.channel = channel;
        this.lock = lock;
    }

    /** Registers a new owner named after {@code name} (plus a random suffix: a restart is a new owner). Blocks on file I/O. */
    static KvOwners register(Path storeDir, String name) throws IOException {
        Path dir = Files.createDirectories(storeDir.resolve(DIR));
        String id = name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-" + UUID.randomUUID().toString().substring(0, 8);
        FileChannel ch = FileChannel.open(dir.resolve(id + ".lock"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        FileLock lock = ch.tryLock();
        if (lock == null) {
            ch.close();
            throw new IOException("could not lock the new owner file " + dir.resolve(id + ".lock"));
        }
        IN_THIS_JVM.add(id);
        return new KvOwners(id, dir, ch, lock);
    }

    String id() {
        return id;
    }

    /** Whether {@code owner} still runs; a dead owner's file is deleted on the way. */
    boolean alive(String owner) throws IOException {
        if (IN_THIS_JVM.contains(owner)) {
            return true;
        }
        if (!owner.matches("[A-Za-z0-9_.-]+")) {
            return false;
        }
        Path file = dir.resolve(owner + ".lock");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock probe = ch.tryLock();
            if (probe == null) {
                return true;
            }
            Files.deleteIfExists(file);
            probe.release();
            return false;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public void close() throws IOException {
        IN_THIS_JVM.remove(id);
        try (channel) {
            Files.deleteIfExists(dir.resolve(id + ".lock"));
            lock.release();
        }
    }
}
