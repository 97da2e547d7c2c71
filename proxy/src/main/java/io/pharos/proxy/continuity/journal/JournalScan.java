package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What the segment files of a journal directory hold, read without changing anything: every segment
 * with its index, and the torn tail of the last one if any. Recovery ({@link FileJournal#open}) then
 * truncates that tail; the dump only reports it. Damage that is not a torn tail fails the scan with
 * {@link JournalCorruptException}: a bad frame in an older segment, a CRC-valid record out of sequence,
 * a segment that does not continue its predecessor, an empty segment that is not the last.
 *
 * @param segments oldest first; the last may be empty (a crash right after a roll)
 * @param tornTail the bytes recovery cuts off the last segment, {@code null} when it ends cleanly
 */
record JournalScan(List<Segment> segments, TornTail tornTail) {

    /** The part of the last segment after its last whole, valid frame. */
    record TornTail(Path file, long offset, long bytes, String problem) {
    }

    /** Scans every segment of {@code dir}; blocks on the disk. */
    static JournalScan of(Path dir) throws IOException {
        List<Path> files = SegmentFiles.list(dir);
        List<Segment> segments = new ArrayList<>(files.size());
        TornTail torn = null;
        long expected = -1;
        for (int i = 0; i < files.size(); i++) {
            Path file = files.get(i);
            boolean last = i == files.size() - 1;
            Segment seg = new Segment(file, SegmentFiles.firstSequence(file));
            if (expected >= 0 && seg.firstSequence != expected) {
                throw new JournalCorruptException(file, -1, "segment starts at sequence " + seg.firstSequence
                        + " but the previous one ends at " + (expected - 1));
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = ch.size();
                if (size > Integer.MAX_VALUE) {
                    throw new JournalCorruptException(file, -1, "segment of " + size + " bytes (limit " + Integer.MAX_VALUE + ")");
                }
                long offset = 0;
                while (true) {
                    Frames.Frame f = Frames.read(ch, offset, size);
                    if (f.kind() == Frames.Kind.END) {
                        break;
                    }
                    if (f.kind() == Frames.Kind.BAD) {
                        if (!last) {
                            throw new JournalCorruptException(file, offset, f.problem() + " in a segment that is not the last");
                        }
                        torn = new TornTail(file, offset, size - offset, f.problem());
                        break;
                    }
                    long want = seg.firstSequence + seg.count();
                    long seq = f.payload().length < RecordCodec.STAMP_BYTES ? -1 : RecordCodec.peekSequence(f.payload());
                    if (seq != want) {
                        throw new JournalCorruptException(file, offset, "record has sequence " + seq + ", expected " + want);
                    }
                    seg.add(f.length(), RecordCodec.peekAppendTime(f.payload()));
                    offset += f.length();
                }
            }
            if (seg.count() == 0 && !last) {
                throw new JournalCorruptException(file, 0, "empty segment that is not the last");
            }
            segments.add(seg);
            expected = seg.lastSequence() + 1;
        }
        return new JournalScan(List.copyOf(segments), torn);
    }

    /** The last sequence held (0 when none): the newest segment's last, or the one before an empty newest. */
    long lastSequence() {
        return segments.isEmpty() ? 0 : segments.get(segments.size() - 1).lastSequence();
    }
}
