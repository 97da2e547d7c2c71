package io.pharos.proxy.continuity.journal;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of a {@link JournalRecord} (the payload of a journal frame), versioned: the first byte
 * is the format version, and every version keeps the sequence and the append time right after it (so
 * recovery reads them without decoding the rest). Version 1 is specified in
 * {@code docs/continuity-journal.md}. Strings are strict UTF-8. Decoding checks every length against a fixed bound and against
 * the bytes present before allocating, so garbage fails with {@link MalformedRecordException}.
 *
 * <p>Stateless; any thread.
 */
public final class RecordCodec {
    /** The version this build writes. */
    public static final byte VERSION_1 = 1;
    /** Longest string field, in UTF-8 bytes. */
    public static final int MAX_STRING_BYTES = 64 * 1024;
    /** Most headers in one record. */
    public static final int MAX_HEADERS = 1024;
    /** Largest body. */
    public static final int MAX_BODY_BYTES = 32 * 1024 * 1024;
    /** Largest encoded record; a frame announcing more is garbage. */
    public static final int MAX_PAYLOAD_BYTES = 48 * 1024 * 1024;

    static final int SEQUENCE_OFFSET = 1;
    static final int APPEND_TIME_OFFSET = 9;
    /** Version, sequence and append time: what {@link #peekSequence} and {@link #peekAppendTime} need. */
    static final int STAMP_BYTES = 17;

    private static final int ABSENT = -1;

    private RecordCodec() {
    }

    /** Encodes {@code r} in the current version; throws {@link IllegalArgumentException} over a bound. */
    public static byte[] encode(JournalRecord r) {
        byte[] origin = utf8("originRegion", r.originRegion());
        byte[] cluster = utf8("cluster", r.cluster());
        byte[] key = utf8("partitionKey", r.partitionKey());
        byte[] idem = utf8("idempotencyKey", r.idempotencyKey());
        byte[] method = utf8("method", r.method());
        byte[] target = utf8("target", r.target());
        byte[] etag = r.etag() == null ? null : utf8("etag", r.etag());
        byte[] location = r.location() == null ? null : utf8("location", r.location());
        if (r.headers().size() > MAX_HEADERS) {
            throw new IllegalArgumentException("headers: " + r.headers().size() + " (expected: <= " + MAX_HEADERS + ")");
        }
        if (r.body().length > MAX_BODY_BYTES) {
            throw new IllegalArgumentException("body: " + r.body().length + " bytes (expected: <= " + MAX_BODY_BYTES + ")");
        }
        List<byte[]> headers = new ArrayList<>(r.headers().size() * 2);
        long size = STAMP_BYTES + 8 + 4 * 6L + origin.length + cluster.length + key.length + idem.length + method.length + target.length
                + 4 + 4 + (etag == null ? 0 : etag.length) + 4 + (location == null ? 0 : location.length)
                + 4 + 4 + r.body().length;
        for (JournalRecord.Header h : r.headers()) {
            byte[] n = utf8("header name", h.name());
            byte[] v = utf8("header value", h.value());
            headers.add(n);
            headers.add(v);
            size += 8 + n.length + v.length;
        }
        if (size > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("record: " + size + " bytes (expected: <= " + MAX_PAYLOAD_BYTES + ")");
        }
        ByteBuffer b = ByteBuffer.allocate((int) size);
        b.put(VERSION_1).putLong(r.sequence()).putLong(r.appendTimeMillis()).putLong(r.epoch());
        putBytes(b, origin);
        putBytes(b, cluster);
        putBytes(b, key);
        putBytes(b, idem);
        putBytes(b, method);
        putBytes(b, target);
        b.putInt(r.status());
        putBytes(b, etag);
        putBytes(b, location);
        b.putInt(r.headers().size());
        for (byte[] h : headers) {
            putBytes(b, h);
        }
        putBytes(b, r.body());
        assert !b.hasRemaining();
        return b.array();
    }

    /** Decodes a whole payload; throws {@link MalformedRecordException} on anything but one valid record. */
    public static JournalRecord decode(byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new MalformedRecordException("record of " + payload.length + " bytes (limit " + MAX_PAYLOAD_BYTES + ")");
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        try {
            byte version = b.get();
            if (version != VERSION_1) {
                throw new MalformedRecordException("unknown record format version " + version + " (this build reads " + VERSION_1 + ")");
            }
            long sequence = b.getLong();
            long time = b.getLong();
            long epoch = b.getLong();
            String origin = string(b, "originRegion");
            String cluster = string(b, "cluster");
            String key = string(b, "partitionKey");
            String idem = string(b, "idempotencyKey");
            String method = string(b, "method");
            String target = string(b, "target");
            int status = b.getInt();
            String etag = nullableString(b, "etag");
            String location = nullableString(b, "location");
            int headerCount = b.getInt();
            if (headerCount < 0 || headerCount > MAX_HEADERS) {
                throw new MalformedRecordException("header count " + headerCount + " (limit " + MAX_HEADERS + ")");
            }
            List<JournalRecord.Header> headers = new ArrayList<>(Math.min(headerCount, b.remaining() / 8));
            for (int i = 0; i < headerCount; i++) {
                headers.add(new JournalRecord.Header(string(b, "header name"), string(b, "header value")));
            }
            byte[] body = bytes(b, "body", MAX_BODY_BYTES);
            if (b.hasRemaining()) {
                throw new MalformedRecordException(b.remaining() + " bytes after the body");
            }
            return new JournalRecord(origin, cluster, epoch, sequence, key, idem, method, target, headers, body, status,
                    etag, location, time);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new MalformedRecordException("record cut short at byte " + b.position() + " of " + payload.length);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new MalformedRecordException("invalid field: " + e.getMessage());
        }
    }

    /** The sequence of an encoded record of any version (it follows the version byte). */
    static long peekSequence(byte[] payload) {
        return ByteBuffer.wrap(payload).getLong(SEQUENCE_OFFSET);
    }

    /** The append time of an encoded record of any version. */
    static long peekAppendTime(byte[] payload) {
        return ByteBuffer.wrap(payload).getLong(APPEND_TIME_OFFSET);
    }

    /** Writes the sequence and the append time into an encoded record (the writer's stamp). */
    static void stamp(byte[] payload, long sequence, long appendTimeMillis) {
        ByteBuffer.wrap(payload).putLong(SEQUENCE_OFFSET, sequence).putLong(APPEND_TIME_OFFSET, appendTimeMillis);
    }

    private static byte[] utf8(String field, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > MAX_STRING_BYTES) {
            throw new IllegalArgumentException(field + ": " + b.length + " bytes (expected: <= " + MAX_STRING_BYTES + ")");
        }
        return b;
    }

    private static void putBytes(ByteBuffer b, byte[] bytes) {
        if (bytes == null) {
            b.putInt(ABSENT);
        } else {
            b.putInt(bytes.length).put(bytes);
        }
    }

    private static String string(ByteBuffer b, String field) {
        byte[] bytes = bytes(b, field, MAX_STRING_BYTES);
        try {
            // strict: a record is what was encoded, never a best-effort repair of it
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new MalformedRecordException(field + " is not valid UTF-8");
        }
    }

    private static String nullableString(ByteBuffer b, String field) {
        if (b.getInt(b.position()) == ABSENT) {
            b.getInt();
            return null;
        }
        return string(b, field);
    }

    private static byte[] bytes(ByteBuffer b, String field, int limit) {
        int n = b.getInt();
        if (n < 0 || n > limit) {
            throw new MalformedRecordException(field + " length " + n + " (limit " + limit + ")");
        }
        if (n > b.remaining()) {
            throw new MalformedRecordException(field + " length " + n + " but only " + b.remaining() + " bytes left");
        }
        byte[] out = new byte[n];
        b.get(out);
        return out;
    }
}
