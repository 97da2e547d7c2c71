package io.pharos.proxy.continuity.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, must-show 4 for the engine: a writer whose disk refuses writes (a per-file size limit,
 * {@code ulimit -f}, makes {@code pwrite} fail with EFBIG as a full disk fails with ENOSPC) refuses
 * appends with {@link JournalFullException.Reason#DISK} and loses nothing it acknowledged: after the
 * kill, the journal reopens clean, every acknowledged record there with its content, sequences dense.
 */
class JournalDiskFullIT {
    @TempDir
    Path dir;

    @Test
    void aRefusingDiskFailsAppendsWithDiskAndLosesNothingAcknowledged() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path log = Files.createTempFile("journal-disk-full", ".log");
        // 32 KiB per file: the 64 KiB segment can never be filled, writes past 32 KiB fail
        Process p = new ProcessBuilder("/bin/bash", "-c", "ulimit -f 32 && exec \"$0\" \"$@\"", java, "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), JournalCrashMain.class.getName(), dir.toString(), "1", "2")
                .redirectError(log.toFile()).start();
        Map<Long, long[]> acked = new HashMap<>();
        String refusal = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            assertEquals("warm", out.readLine(), Files.readString(log));
            p.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (refusal == null || acked.isEmpty()) {
                assertTrue(System.nanoTime() < deadline, "no refusal and acknowledgement within 60 s: " + Files.readString(log));
                String line = out.readLine();
                assertNotNull(line, "writer died: " + Files.readString(log));
                if (line.endsWith(";")) {
                    String[] f = line.substring(0, line.length() - 1).split(" ");
                    acked.put(Long.parseLong(f[0]), new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                } else if (line.startsWith("refused ")) {
                    refusal = line;
                }
            }
            p.toHandle().destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                if (line.endsWith(";")) {
                    String[] f = line.substring(0, line.length() - 1).split(" ");
                    acked.put(Long.parseLong(f[0]), new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])});
                }
            }
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
        assertTrue(refusal.startsWith("refused DISK "), refusal);
        try (FileJournal j = FileJournal.open(dir, JournalCrashMain.SETTINGS, Clock.systemUTC(), FileJournal.NO_HOOK)) {
            long expected = 1;
            try (JournalCursor c = j.openCursor(0)) {
                for (JournalRecord r = c.poll(); r != null; r = c.poll()) {
                    assertEquals(expected++, r.sequence(), "dense");
                    long[] wn = acked.remove(r.sequence());
                    if (wn != null) {
                        assertTrue(TestRecords.matches(r, (int) wn[0], wn[1]), r.toString());
                    }
                }
            }
            assertTrue(acked.isEmpty(), "acknowledged but missing: " + acked.keySet());
            assertTrue(Files.size(SegmentFiles.path(dir, 1)) <= 32 * 1024, "cut back to what was written whole");
            long next = j.lastSequence() + 1;
            assertEquals(next, j.append(TestRecords.record(9, 9)).get(10, TimeUnit.SECONDS), "with room again, appends go on");
        }
    }
}
