package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The confirmed watermark file {@code confirmed} in the journal directory: one line, the decimal
 * sequence. Replaced atomically (temp file, fsync, rename, fsync of the directory), so after a crash it
 * holds the old or the new value, never a mix. Stateless; the journal serializes writers.
 */
final class Watermark {
    static final String FILE = "confirmed";
    private static final String TEMP = "confirmed.tmp";

    private Watermark() {
    }

    /** The persisted watermark, 0 when there is none yet. */
    static long read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            return 0;
        }
        try {
            long v = Long.parseLong(text);
            if (v < 0) {
                throw new NumberFormatException("negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new JournalCorruptException(file, -1, "not a confirmed sequence: '" + text + "'");
        }
    }

    /** Persists {@code sequence} durably; blocks on the disk. */
    static void write(Path dir, long sequence) throws IOException {
        Path temp = dir.resolve(TEMP);
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap((sequence + "\n").getBytes(StandardCharsets.US_ASCII));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        Files.move(temp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        SegmentFiles.forceDirectory(dir);
    }
}
