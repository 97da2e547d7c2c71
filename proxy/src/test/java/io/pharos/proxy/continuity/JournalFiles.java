package io.pharos.proxy.continuity;

import io.pharos.proxy.admin.TestJson;
import io.pharos.proxy.continuity.journal.JournalDump;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A proxy's journal directory as the operator sees it after a crash: {@code pharos journal dump DIR --json}
 * (reads only; a torn tail is reported, not cut) and the confirmed watermark file. Stateless.
 */
final class JournalFiles {
    /** One record: its sequence, Idempotency-Key, method and target. */
    record Entry(long seq, String idempotencyKey, String method, String target) {
    }

    private JournalFiles() {
    }

    /** Every whole record in {@code dir}, by sequence. */
    static TreeMap<Long, Entry> records(Path dir) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = JournalDump.run(new String[] {"dump", dir.toString(), "--json"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        if (exit != 0) {
            throw new AssertionError("journal dump " + dir + " exited " + exit + ": " + err.toString(StandardCharsets.UTF_8));
        }
        TreeMap<Long, Entry> records = new TreeMap<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Map<String, Object> o = TestJson.object(line);
            if (o.containsKey("seq")) {
                long seq = TestJson.number(o, "seq");
                records.put(seq, new Entry(seq, (String) o.get("idempotencyKey"), (String) o.get("method"), (String) o.get("target")));
            }
        }
        return records;
    }

    /** The confirmed watermark persisted in {@code dir} (the file {@code confirmed}; 0 when absent). */
    static long confirmed(Path dir) throws Exception {
        try {
            return Long.parseLong(Files.readString(dir.resolve("confirmed"), StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return 0;
        }
    }
}
