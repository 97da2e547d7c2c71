package io.pharos.proxy.continuity.ship;

import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalCursor;
import io.pharos.proxy.continuity.journal.JournalRecord;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Records whose content follows from n (headers, body of 0..700 bytes), and journal helpers for the shipping tests. */
final class ShipRecords {
    static final String ORIGIN = "eu-west";

    private ShipRecords() {
    }

    static JournalRecord record(long n) {
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < (n * 37) % 701; i++) {
            body.append((char) ('a' + (i + n) % 26));
        }
        return JournalRecord.unsequenced(ORIGIN, "kv", 4, "tenant-" + (n % 5), "idem-" + n, n % 2 == 0 ? "PUT" : "POST",
                "/kv/k" + n + "?v=" + n,
                List.of(new JournalRecord.Header("Content-Type", "application/json"), new JournalRecord.Header("X-N", "n=" + n),
                        new JournalRecord.Header("X-N", "again ü")),
                body.toString().getBytes(StandardCharsets.UTF_8), 200 + (int) (n % 2), n % 3 == 0 ? null : "\"e" + n + "\"",
                n % 4 == 0 ? "/kv/k" + n : null);
    }

    /** Appends records {@code from..to} (their n) to {@code j}, all queued at once, and waits for them. */
    static void append(Journal j, long from, long to) throws Exception {
        List<CompletableFuture<Long>> fs = new ArrayList<>();
        for (long n = from; n <= to; n++) {
            fs.add(j.append(record(n)));
        }
        CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    static List<JournalRecord> readAll(Journal j, long after) throws IOException {
        List<JournalRecord> out = new ArrayList<>();
        try (JournalCursor c = j.openCursor(after)) {
            for (JournalRecord r = c.poll(); r != null; r = c.poll()) {
                out.add(r);
            }
        }
        return out;
    }
}
