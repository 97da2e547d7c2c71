package io.pharos.proxy.continuity.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalDumpTest {
    private static final JournalSettings SETTINGS = new JournalSettings(4096, 1 << 20, Duration.ofDays(1), 64);

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Run dump(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = JournalDump.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Three records (the third torn afterwards), the first confirmed. */
    private void smallJournal() throws Exception {
        TestRecords.ManualClock clock = new TestRecords.ManualClock();
        try (FileJournal j = FileJournal.open(dir, SETTINGS, clock, FileJournal.NO_HOOK)) {
            j.append(TestRecords.record(1, 1)).get(10, TimeUnit.SECONDS);
            j.append(JournalRecord.unsequenced("us-east", "orders", 4, "tenant-b", "idem \"quoted\"", "POST", "/orders",
                    List.of(new JournalRecord.Header("Content-Type", "text/plain")),
                    "line one\nline two \u0001 ü".getBytes(StandardCharsets.UTF_8), 201, "\"v1\"", "/orders/9")).get(10, TimeUnit.SECONDS);
            clock.millis.addAndGet(1000);
            j.append(TestRecords.record(1, 3)).get(10, TimeUnit.SECONDS);
            j.confirm(1);
        }
        Path segment = SegmentFiles.path(dir, 1);
        FileJournalTest.truncate(segment, Files.size(segment) - 10);
    }

    @Test
    void printsRecordsWatermarkAndTheTornTailWithoutTouchingTheFiles() throws Exception {
        smallJournal();
        Path segment = SegmentFiles.path(dir, 1);
        long size = Files.size(segment);
        Run r = dump("dump", dir.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.lines();
        assertEquals(4, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("journal " + dir + ": 1 segments, "), lines.get(0));
        assertTrue(lines.get(0).endsWith(" bytes, sequences 1..2, confirmed 1"), lines.get(0));
        assertEquals("seq=1 confirmed time=2023-11-14T22:13:20Z origin=eu-west/3 cluster=kv key=tenant-1 idem=idem-w1-1 PUT /kv/w1-1?v=1"
                + " status=201 body=48B \"cdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx\"", lines.get(1));
        assertEquals("seq=2 time=2023-11-14T22:13:20Z origin=us-east/4 cluster=orders key=tenant-b idem=idem \"quoted\" POST /orders"
                + " status=201 body=22B \"line one.line two . ü\"", lines.get(2));
        int third = Frames.HEADER_BYTES + RecordCodec.encode(TestRecords.record(1, 3)).length;
        assertEquals("torn tail: 00000000000000000001.seg at offset " + (size + 10 - third) + ": " + (third - 10)
                + " bytes that recovery would truncate (short frame: " + (third - 8) + " bytes declared, " + (third - 18)
                + " present)", lines.get(3));
        assertEquals(size, Files.size(segment), "the dump reads only");
    }

    @Test
    void jsonFromASequence() throws Exception {
        smallJournal();
        Run r = dump("dump", dir.toString(), "--from", "2", "--json");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.lines();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("{\"journal\":"), lines.get(0));
        assertTrue(lines.get(0).endsWith(",\"first\":1,\"last\":2,\"confirmed\":1}"), lines.get(0));
        assertEquals("{\"seq\":2,\"time\":\"2023-11-14T22:13:20Z\",\"origin\":\"us-east\",\"cluster\":\"orders\",\"epoch\":4,\"key\":\"tenant-b\","
                + "\"idempotencyKey\":\"idem \\\"quoted\\\"\",\"method\":\"POST\",\"target\":\"/orders\",\"status\":201,"
                + "\"etag\":\"\\\"v1\\\"\",\"location\":\"/orders/9\",\"headers\":[[\"Content-Type\",\"text/plain\"]],"
                + "\"bodyBytes\":22,\"bodyPrefix\":\"line one.line two . ü\"}", lines.get(1));
        assertTrue(lines.get(2).startsWith("{\"tornTail\":{\"file\":\"00000000000000000001.seg\",\"offset\":"), lines.get(2));
    }

    @Test
    void corruptionIsNamedAndExitsOne() throws Exception {
        try (FileJournal j = FileJournal.open(dir, SETTINGS, new TestRecords.ManualClock(), FileJournal.NO_HOOK)) {
            for (int n = 1; n <= 40; n++) {
                j.append(TestRecords.record(1, n)).get(10, TimeUnit.SECONDS);
            }
        }
        Path first = SegmentFiles.path(dir, 1);
        FileJournalTest.flipByte(first, 20);
        Run r = dump("dump", dir.toString());
        assertEquals(1, r.exit());
        assertTrue(r.err().contains(first + " at offset 0: CRC32C mismatch in a segment that is not the last"), r.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, dump().exit());
        assertEquals(2, dump("list", dir.toString()).exit());
        assertEquals(2, dump("dump", dir.toString(), "--from", "x").exit());
        Run r = dump("dump", dir.resolve("missing").toString());
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("is not a directory"), r.err());
    }
}
