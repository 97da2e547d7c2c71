package io.pharos.proxy.continuity.journal;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class RecordCodecTest {

    @Test
    void roundTripKeepsEveryField() {
        JournalRecord r = new JournalRecord("ap-south-1", "api-é", 42, 9_000_000_001L, "tenant-ü", "idem-🙂", "PATCH",
                "/orders/7?x=1&y=%20",
                List.of(new JournalRecord.Header("X-A", "1"), new JournalRecord.Header("x-a", "2"), new JournalRecord.Header("X-Empty", "")),
                new byte[] {0, 1, 2, (byte) 0xff}, 201, "W/\"abc\"", "/orders/7", 1_700_000_000_123L);
        byte[] encoded = RecordCodec.encode(r);
        assertEquals(RecordCodec.VERSION_1, encoded[0]);
        JournalRecord back = RecordCodec.decode(encoded);
        assertEquals(r, back);
        assertEquals(r.headers(), back.headers(), "header order and repeats kept");
        assertEquals(9_000_000_001L, RecordCodec.peekSequence(encoded));
        assertEquals(1_700_000_000_123L, RecordCodec.peekAppendTime(encoded));
    }

    @Test
    void absentEtagAndLocationAndEmptyBodyStayAbsent() {
        JournalRecord r = JournalRecord.unsequenced("r", "c", 0, "", "", "DELETE", "/", List.of(), new byte[0], 204, null, null);
        JournalRecord back = RecordCodec.decode(RecordCodec.encode(r));
        assertNull(back.etag());
        assertNull(back.location());
        assertEquals(0, back.body().length);
        assertEquals(r, back);
    }

    @Test
    void stampSetsSequenceAndTimeWithoutTouchingTheRest() {
        JournalRecord r = TestRecords.record(1, 5);
        byte[] encoded = RecordCodec.encode(r);
        RecordCodec.stamp(encoded, 77, 1234);
        assertEquals(r.withSequence(77, 1234), RecordCodec.decode(encoded));
    }

    @Test
    void unknownVersionIsRefusedByName() {
        byte[] encoded = RecordCodec.encode(TestRecords.record(1, 1));
        encoded[0] = 2;
        MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> RecordCodec.decode(encoded));
        assertTrue(e.getMessage().contains("version 2"), e.getMessage());
    }

    @Test
    void hugeLengthFieldIsRefusedBeforeAllocating() {
        byte[] encoded = RecordCodec.encode(TestRecords.record(1, 1));
        // originRegion's length sits right after version, sequence, time and epoch
        ByteBuffer.wrap(encoded).putInt(25, Integer.MAX_VALUE);
        MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> RecordCodec.decode(encoded));
        assertTrue(e.getMessage().contains("originRegion length"), e.getMessage());
        ByteBuffer.wrap(encoded).putInt(25, 60_000);
        e = assertThrows(MalformedRecordException.class, () -> RecordCodec.decode(encoded));
        assertTrue(e.getMessage().contains("bytes left"), e.getMessage());
    }

    @Test
    void truncatedAndTrailingBytesAreRefused() {
        byte[] encoded = RecordCodec.encode(TestRecords.record(2, 9));
        for (int cut = 0; cut < encoded.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(encoded, cut);
            assertThrows(MalformedRecordException.class, () -> RecordCodec.decode(shorter), "cut at " + cut);
        }
        byte[] longer = java.util.Arrays.copyOf(encoded, encoded.length + 1);
        MalformedRecordException e = assertThrows(MalformedRecordException.class, () -> RecordCodec.decode(longer));
        assertTrue(e.getMessage().contains("after the body"), e.getMessage());
    }

    @Test
    void garbageNeverDecodesAndNeverAllocatesMuch() {
        SplittableRandom random = new SplittableRandom(13);
        byte[] valid = RecordCodec.encode(TestRecords.record(3, 11));
        for (int i = 0; i < 20_000; i++) {
            byte[] garbage;
            if (i % 2 == 0) {
                garbage = new byte[random.nextInt(200)];
                random.nextBytes(garbage);
                if (garbage.length > 0) {
                    garbage[0] = RecordCodec.VERSION_1;
                }
            } else {
                // a valid record with a few bytes changed after the stamp: lengths and counts go wild
                garbage = valid.clone();
                for (int k = 0; k < 1 + random.nextInt(3); k++) {
                    garbage[RecordCodec.STAMP_BYTES + random.nextInt(garbage.length - RecordCodec.STAMP_BYTES)] = (byte) random.nextInt();
                }
            }
            try {
                JournalRecord r = RecordCodec.decode(garbage);
                // a change inside a string or the body can still be a well-formed record: it must round trip
                assertArrayEquals(garbage, RecordCodec.encode(r), "decoded garbage #" + i + " does not round trip");
            } catch (MalformedRecordException expected) {
                // the point
            } catch (RuntimeException | OutOfMemoryError e) {
                fail("garbage #" + i + " threw " + e + " instead of MalformedRecordException");
            }
        }
    }

    @Test
    void encodeRefusesFieldsOverTheBounds() {
        String longTarget = "/" + "x".repeat(RecordCodec.MAX_STRING_BYTES);
        JournalRecord r = JournalRecord.unsequenced("r", "c", 0, "k", "i", "POST", longTarget, List.of(), new byte[0], 200, null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(r));
        assertTrue(e.getMessage().startsWith("target: 65537 bytes"), e.getMessage());
        JournalRecord many = JournalRecord.unsequenced("r", "c", 0, "k", "i", "POST", "/",
                Collections.nCopies(RecordCodec.MAX_HEADERS + 1, new JournalRecord.Header("a", "b")), new byte[0], 200, null, null);
        assertThrows(IllegalArgumentException.class, () -> RecordCodec.encode(many));
    }
}
