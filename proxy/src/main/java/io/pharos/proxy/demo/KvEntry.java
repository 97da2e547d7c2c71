package io.pharos.proxy.demo;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One entry of the key-value app's log ({@link KvLog}): a reservation of an Idempotency-Key, its release, or a
 * write with the response it got. The binary form (the payload of a frame) is specified in
 * {@code docs/kv-app.md}. Immutable; any thread.
 */
sealed interface KvEntry {
    byte RESERVE = 'R';
    byte RELEASE = 'L';
    byte WRITE = 'W';
    /** Largest string field, in UTF-8 bytes, and largest byte field, in bytes. */
    int MAX_STRING_BYTES = 4096;
    int MAX_BYTES = 64 * 1024 * 1024;

    /** What a write does to its key. */
    enum Op {
        PUT('P'), APPEND('A'), DELETE('D');

        final byte code;

        Op(char code) {
            this.code = (byte) code;
        }

        static Op of(byte code) throws IOException {
            for (Op op : values()) {
                if (op.code == code) {
                    return op;
                }
            }
            throw new IOException("unknown op " + code);
        }
    }

    /** An answer as it was sent, kept so that a retry with the same Idempotency-Key gets it again. */
    record Response(int status, String etag, String location, byte[] body) {
    }

    /** {@code owner} took {@code idempotencyKey} for a request with {@code fingerprint} at {@code timeMillis}. */
    record Reserve(long timeMillis, String idempotencyKey, String fingerprint, String owner) implements KvEntry {
    }

    /** {@code owner} gave {@code idempotencyKey} back without an answer to keep (its request failed). */
    record Release(String idempotencyKey, String owner) implements KvEntry {
    }

    /**
     * A write of {@code key} and the answer it got; a 2xx {@code response} means the write took effect (a
     * DELETE of an absent key is kept with its 404 only for its Idempotency-Key). The three trailing
     * strings are null for a write without an Idempotency-Key or without a {@code Pharos-Replay} header.
     */
    record Write(long timeMillis, Op op, String key, byte[] value, Response response,
                 String idempotencyKey, String fingerprint, String replay) implements KvEntry {
        boolean applied() {
            return response.status() / 100 == 2;
        }
    }

    static byte[] encode(KvEntry e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            switch (e) {
                case Reserve r -> {
                    out.writeByte(RESERVE);
                    out.writeLong(r.timeMillis());
                    string(out, r.idempotencyKey());
                    string(out, r.fingerprint());
                    string(out, r.owner());
                }
                case Release r -> {
                    out.writeByte(RELEASE);
                    string(out, r.idempotencyKey());
                    string(out, r.owner());
                }
                case Write w -> {
                    out.writeByte(WRITE);
                    out.writeLong(w.timeMillis());
                    out.writeByte(w.op().code);
                    string(out, w.key());
                    bytes(out, w.value());
                    out.writeShort(w.response().status());
                    string(out, w.response().etag());
                    string(out, w.response().location());
                    bytes(out, w.response().body());
                    string(out, w.idempotencyKey());
                    string(out, w.fingerprint());
                    string(out, w.replay());
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** Decodes one payload; throws {@link IOException} on anything malformed (a checksum passed, so it is a bug or a foreign file). */
    static KvEntry decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(payload));
        try {
            byte type = in.readByte();
            KvEntry e = switch (type) {
                case RESERVE -> new Reserve(in.readLong(), string(in), string(in), string(in));
                case RELEASE -> new Release(string(in), string(in));
                case WRITE -> {
                    long time = in.readLong();
                    Op op = Op.of(in.readByte());
                    String key = string(in);
                    byte[] value = bytes(in);
                    Response response = new Response(in.readShort(), string(in), string(in), bytes(in));
                    yield new Write(time, op, key, value, response, string(in), string(in), string(in));
                }
                default -> throw new IOException("unknown entry type " + type);
            };
            if (in.available() != 0) {
                throw new IOException(in.available() + " bytes after the entry");
            }
            return e;
        } catch (EOFException ex) {
            throw new IOException("entry cut short", ex);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        bytes(out, s == null ? null : s.getBytes(StandardCharsets.UTF_8));
    }

    private static void bytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static String string(DataInputStream in) throws IOException {
        byte[] b = bytes(in);
        if (b != null && b.length > MAX_STRING_BYTES) {
            throw new IOException("string of " + b.length + " bytes");
        }
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n == -1) {
            return null;
        }
        if (n < 0 || n > MAX_BYTES || n > in.available()) {
            throw new IOException("length " + n);
        }
        return in.readNBytes(n);
    }
}
