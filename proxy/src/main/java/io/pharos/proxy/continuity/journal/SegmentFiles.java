package io.pharos.proxy.continuity.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where segments live: {@code <first sequence, 20 digits>.seg} in the journal directory. Stateless. */
final class SegmentFiles {
    private static final Pattern NAME = Pattern.compile("(\\d{20})\\.seg");

    private SegmentFiles() {
    }

    static Path path(Path dir, long firstSequence) {
        return dir.resolve(String.format("%020d.seg", firstSequence));
    }

    /** The first sequence a segment file is named by. */
    static long firstSequence(Path file) {
        Matcher m = NAME.matcher(file.getFileName().toString());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a segment file: " + file);
        }
        return Long.parseLong(m.group(1));
    }

    /** The segment files of {@code dir}, oldest first; other files are ignored. */
    static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                if (NAME.matcher(p.getFileName().toString()).matches()) {
                    out.add(p);
                }
            }
        }
        out.sort(Comparator.comparingLong(SegmentFiles::firstSequence));
        return out;
    }

    /** Makes a created, renamed or deleted directory entry durable (fsync of the directory). */
    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
