package io.pharos.proxy.continuity.journal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * The frame around each record in a segment: {@code [int length][int CRC32C of payload][payload]}, big
 * endian, length = payload bytes. {@link #read} is the one reader recovery, cursors and the dump share;
 * shipping frames its batches the same way ({@link #crc}, {@link #write}).
 * Stateless; any thread.
 */
public final class Frames {
    /** Length and CRC32C, in front of every payload. */
    public static final int HEADER_BYTES = 8;

    /** What {@link #read} found at an offset. */
    record Frame(Kind kind, byte[] payload, String problem) {
        int length() {
            return HEADER_BYTES + payload.length;
        }
    }

    enum Kind {
        /** A whole frame with a matching CRC. */
        OK,
        /** Nothing more: the offset is the end of the file. */
        END,
        /** A short, oversized or CRC-failing frame. */
        BAD
    }

    private static final Frame END = new Frame(Kind.END, null, null);

    private Frames() {
    }

    /** CRC32C (Castagnoli) of {@code payload}. */
    public static int crc(byte[] payload) {
        CRC32C c = new CRC32C();
        c.update(payload, 0, payload.length);
        return (int) c.getValue();
    }

    /** Puts a whole frame for {@code payload} into {@code out}. */
    public static void write(ByteBuffer out, byte[] payload, int crc) {
        out.putInt(payload.length).putInt(crc).put(payload);
    }

    /** Reads the frame at {@code offset} of a file of {@code size} bytes (never past {@code size}). */
    static Frame read(FileChannel ch, long offset, long size) throws IOException {
        long left = size - offset;
        if (left <= 0) {
            return END;
        }
        if (left < HEADER_BYTES) {
            return bad("short frame header: " + left + " bytes");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        readFully(ch, header, offset);
        int length = header.getInt(0);
        int crc = header.getInt(4);
        if (length <= 0 || length > RecordCodec.MAX_PAYLOAD_BYTES) {
            return bad("frame length " + length + " out of bounds (1.." + RecordCodec.MAX_PAYLOAD_BYTES + ")");
        }
        if (length > left - HEADER_BYTES) {
            return bad("short frame: " + length + " bytes declared, " + (left - HEADER_BYTES) + " present");
        }
        byte[] payload = new byte[length];
        readFully(ch, ByteBuffer.wrap(payload), offset + HEADER_BYTES);
        if (crc(payload) != crc) {
            return bad("CRC32C mismatch");
        }
        return new Frame(Kind.OK, payload, null);
    }

    private static Frame bad(String problem) {
        return new Frame(Kind.BAD, null, problem);
    }

    static void readFully(FileChannel ch, ByteBuffer b, long offset) throws IOException {
        long at = offset;
        while (b.hasRemaining()) {
            int n = ch.read(b, at);
            if (n < 0) {
                throw new EOFException("end of file at " + at);
            }
            at += n;
        }
    }
}
