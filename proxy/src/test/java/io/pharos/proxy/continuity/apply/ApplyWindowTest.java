package io.pharos.proxy.continuity.apply;

import io.pharos.proxy.continuity.journal.JournalRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The applied watermark over completions out of order, the read-ahead room, and the oldest failing record. */
class ApplyWindowTest {

    @Test
    void watermarkIsTheContiguousPrefixOfCompletions() throws Exception {
        ApplyWindow w = new ApplyWindow(8, 10);
        assertEquals(10, w.watermark(), "nothing read: the starting point");
        PendingRecord[] p = new PendingRecord[6];
        for (int i = 1; i <= 5; i++) {
            assertTrue(w.takeRoom(0));
            p[i] = new PendingRecord(record(10 + i));
            w.add(p[i]);
        }
        assertEquals(10, w.watermark());
        w.complete(13);
        w.complete(12);
        assertEquals(10, w.watermark(), "11 is still pending");
        w.complete(11);
        assertEquals(13, w.watermark());
        w.complete(15);
        assertEquals(13, w.watermark());
        assertSame(p[4], w.oldest());
        w.complete(14);
        assertEquals(15, w.watermark(), "everything read is applied");
        assertEquals(0, w.pendingCount());
        w.complete(14);
        assertEquals(15, w.watermark(), "a second completion changes nothing");
    }

    @Test
    void roomIsBoundedAndFreedByCompletions() throws Exception {
        ApplyWindow w = new ApplyWindow(2, 0);
        assertTrue(w.takeRoom(0));
        w.add(new PendingRecord(record(1)));
        assertTrue(w.takeRoom(0));
        w.add(new PendingRecord(record(2)));
        assertFalse(w.takeRoom(0), "two in flight: no room for a third");
        w.complete(2);
        assertTrue(w.takeRoom(0));
        w.giveBackRoom();
        w.complete(2);
        assertTrue(w.takeRoom(0));
        assertFalse(w.takeRoom(0), "completing a record twice frees its room once");
    }

    @Test
    void oldestFailingSkipsRecordsThatHaveNotFailed() throws Exception {
        ApplyWindow w = new ApplyWindow(8, 0);
        List<PendingRecord> ps = List.of(new PendingRecord(record(1)), new PendingRecord(record(2)), new PendingRecord(record(3)));
        for (PendingRecord p : ps) {
            assertTrue(w.takeRoom(0));
            w.add(p);
        }
        assertNull(w.oldestFailing());
        ps.get(2).startTry();
        ps.get(2).failed("HTTP 500", null);
        ps.get(1).startTry();
        ps.get(1).failed("reset", null);
        assertSame(ps.get(1), w.oldestFailing());
        assertEquals("reset", w.oldestFailing().lastError());
        assertEquals(1, w.oldestFailing().attempts());
    }

    private static JournalRecord record(long seq) {
        return new JournalRecord("eu", "kv", 1, seq, "k", "i" + seq, "PUT", "/", List.of(), new byte[0], 200, null, null, 1L);
    }
}
