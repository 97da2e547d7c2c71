package io.pharos.proxy.continuity.ship;

import io.pharos.health.JsonText;
import io.pharos.proxy.continuity.journal.Frames;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.MalformedRecordException;
import io.pharos.proxy.continuity.journal.RecordCodec;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The wire protocol between a region's {@link PeerShipper} and the peer region's
 * {@link ContinuityReceiver} (specified in {@code docs/continuity-journal.md}, "Shipping"): the paths and
 * headers, the batch body (records as journal frames: length, CRC32C, payload) and the small JSON
 * answers. Stateless; any thread.
 */
public final class ShipProtocol {
    /** {@code POST}: a batch of records. */
    public static final String RECORDS_PATH = "/continuity/v1/records";
    /** {@code GET ?origin=R}: what the receiver holds of origin R. */
    public static final String STATUS_PATH = "/continuity/v1/status";
    /** The region whose journal the records come from. */
    public static final String ORIGIN_HEADER = "Pharos-Origin";
    public static final String CONTENT_TYPE = "application/vnd.pharos.journal";

    private static final Pattern ORIGIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private ShipProtocol() {
    }

    /** Whether {@code origin} is a region name the protocol carries: 1-64 of {@code A-Z a-z 0-9 . _ -}, starting alphanumeric (path-safe). */
    public static boolean isValidOrigin(String origin) {
        return origin != null && ORIGIN.matcher(origin).matches();
    }

    /** Frames already-encoded record payloads into one batch body. */
    static byte[] encodeBatch(List<byte[]> payloads) {
        int size = 0;
        for (byte[] p : payloads) {
            size += Frames.HEADER_BYTES + p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        for (byte[] p : payloads) {
            Frames.write(b, p, Frames.crc(p));
        }
        return b.array();
    }

    /** Decodes a whole batch body; throws {@link BadBatchException} on anything but whole, valid frames. */
    static List<JournalRecord> decodeBatch(byte[] body) throws BadBatchException {
        List<JournalRecord> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(body);
        while (b.hasRemaining()) {
            int at = b.position();
            if (b.remaining() < Frames.HEADER_BYTES) {
                throw new BadBatchException("short frame header at byte " + at);
            }
            int length = b.getInt();
            int crc = b.getInt();
            if (length <= 0 || length > RecordCodec.MAX_PAYLOAD_BYTES || length > b.remaining()) {
                throw new BadBatchException("frame length " + length + " at byte " + at + " (" + b.remaining() + " bytes left)");
            }
            byte[] payload = new byte[length];
            b.get(payload);
            if (Frames.crc(payload) != crc) {
                throw new BadBatchException("CRC32C mismatch in the frame at byte " + at);
            }
            try {
                out.add(RecordCodec.decode(payload));
            } catch (MalformedRecordException e) {
                throw new BadBatchException("record at byte " + at + ": " + e.getMessage());
            }
        }
        return out;
    }

    /** The 200 answer to a batch. */
    static String ackJson(String origin, long durable, long applied) {
        StringBuilder sb = new StringBuilder("{\"origin\":");
        JsonText.quote(sb, origin);
        return sb.append(",\"durable\":").append(durable).append(",\"applied\":").append(applied).append('}').toString();
    }

    /** The answer to a status request. */
    static String statusJson(long durable, long applied) {
        return "{\"durable\":" + durable + ",\"applied\":" + applied + "}";
    }

    /** The 409 answer: the sequence the receiver needs next. */
    static String gapJson(long expected) {
        return "{\"expected\":" + expected + "}";
    }

    /** Any refusal but a gap: {@code {"error": "..."}}. */
    static String errorJson(String message) {
        return JsonText.quote(new StringBuilder("{\"error\":"), message).append('}').toString();
    }

    /** The integer member {@code field} of one of these flat JSON answers, if present. */
    static OptionalLong jsonLong(String json, String field) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(field) + "\"\\s*:\\s*(-?\\d{1,19})").matcher(json);
        if (!m.find()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(m.group(1)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** A batch body that is not whole, valid frames of valid records. */
    static final class BadBatchException extends Exception {
        BadBatchException(String message) {
            super(message, null, false, false);
        }
    }
}
