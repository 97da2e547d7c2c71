package io.pharos.proxy.continuity.ship;

import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.RecordCodec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShipProtocolTest {

    private static List<JournalRecord> sequenced(int count) {
        List<JournalRecord> out = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            out.add(ShipRecords.record(n).withSequence(100 + n, 1_700_000_000_000L + n));
        }
        return out;
    }

    private static byte[] encode(List<JournalRecord> records) {
        return ShipProtocol.encodeBatch(records.stream().map(RecordCodec::encode).toList());
    }

    @Test
    void aBatchRoundTripsEveryField() throws Exception {
        List<JournalRecord> records = sequenced(20);
        assertEquals(records, ShipProtocol.decodeBatch(encode(records)));
        assertEquals(List.of(), ShipProtocol.decodeBatch(new byte[0]));
    }

    @Test
    void everyFlippedByteAndEveryCutInsideAFrameIsRefused() throws Exception {
        List<JournalRecord> records = sequenced(3);
        byte[] body = encode(records);
        for (int i = 0; i < body.length; i++) {
            byte[] bad = body.clone();
            bad[i] ^= 0x01;
            assertThrows(ShipProtocol.BadBatchException.class, () -> ShipProtocol.decodeBatch(bad), "flip at " + i);
        }
        int firstEnd = encode(records.subList(0, 1)).length;
        int secondEnd = encode(records.subList(0, 2)).length;
        for (int length = 1; length < body.length; length++) {
            byte[] cut = Arrays.copyOf(body, length);
            if (length == firstEnd || length == secondEnd) {
                assertEquals(records.subList(0, length == firstEnd ? 1 : 2), ShipProtocol.decodeBatch(cut), "whole frames");
            } else {
                assertThrows(ShipProtocol.BadBatchException.class, () -> ShipProtocol.decodeBatch(cut), "cut to " + length);
            }
        }
    }

    @Test
    void answersAreReadBack() {
        String ack = ShipProtocol.ackJson("eu-\"west", 42, 7);
        assertEquals("{\"origin\":\"eu-\\\"west\",\"durable\":42,\"applied\":7}", ack);
        assertEquals(OptionalLong.of(42), ShipProtocol.jsonLong(ack, "durable"));
        assertEquals(OptionalLong.of(7), ShipProtocol.jsonLong(ack, "applied"));
        assertEquals(OptionalLong.of(11), ShipProtocol.jsonLong(ShipProtocol.gapJson(11), "expected"));
        assertEquals(OptionalLong.empty(), ShipProtocol.jsonLong(ShipProtocol.errorJson("durable"), "durable"));
        assertEquals(OptionalLong.empty(), ShipProtocol.jsonLong("{\"durable\":99999999999999999999}", "durable"));
    }

    @Test
    void originNamesArePathSafe() {
        assertTrue(ShipProtocol.isValidOrigin("eu-west.1_a"));
        for (String bad : new String[]{null, "", ".", "..", "../x", "a/b", "-a", "a b", "x".repeat(65)}) {
            assertFalse(ShipProtocol.isValidOrigin(bad), String.valueOf(bad));
        }
    }
}
