package io.pharos.bench;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;

/**
 * Frames HTTP/1.1 responses on a byte stream without allocating: it reads the status code and only the
 * headers that decide where a response ends ({@code Content-Length}, {@code Transfer-Encoding: chunked},
 * {@code Connection}), and skips bodies in bulk. The load generator needs nothing else, and a full
 * decoder ({@code HttpClientCodec}) would cost more CPU than the proxies it measures.
 *
 * <p>One instance per connection, used only by that connection's event loop.
 */
final class HttpResponseParser implements ByteProcessor {

    /** Receives every complete response. */
    interface Listener {
        /**
         * A whole response (status line, headers and body) has been read.
         *
         * @param status    the status code
         * @param keepAlive false when the server will close the connection after it
         */
        void onResponse(int status, boolean keepAlive);
    }

    /** Thrown by {@link #feed} on bytes that are not an HTTP/1.x response. */
    static final class ProtocolException extends Exception {
        ProtocolException(String message) {
            super(message, null, false, false);
        }
    }

    private static final int MAX_NAME = 24;
    private static final int MAX_VALUE = 64;
    private static final int MAX_LINE = 16 * 1024;
    private static final byte[] HTTP_1 = {'H', 'T', 'T', 'P', '/', '1', '.'};
    private static final byte[] CONTENT_LENGTH = ascii("content-length");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding");
    private static final byte[] CONNECTION = ascii("connection");
    private static final byte[] CHUNKED = ascii("chunked");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] KEEP_ALIVE = ascii("keep-alive");

    private enum State { STATUS_LINE, HEADER_NAME, HEADER_VALUE, FIXED_BODY, CHUNK_SIZE, CHUNK_EXT, CHUNK_DATA,
        CHUNK_DATA_END, TRAILERS, UNTIL_CLOSE }

    private enum Header { OTHER, CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION }

    private final Listener listener;
    private final byte[] name = new byte[MAX_NAME];
    private final byte[] value = new byte[MAX_VALUE];

    // Every field below is written only by the owning connection's event loop.
    private State state = State.STATUS_LINE;
    /** Bytes of the current line seen so far (status line, header line, trailer line). */
    private int linePos;
    private int nameLen;
    private int valueLen;
    private Header header = Header.OTHER;
    private int status;
    private boolean http10;
    private long contentLength = -1;
    private boolean chunked;
    private boolean connectionClose;
    private boolean connectionKeepAlive;
    /** Body or chunk bytes still to skip. */
    private long remaining;
    private boolean chunkSizeSeen;
    /** Set by {@link #process} when it finds a malformed byte; the reason for the exception. */
    private String error;

    HttpResponseParser(Listener listener) {
        this.listener = listener;
    }

    /**
     * Ends a response that is delimited by the connection's close, if one is being read.
     *
     * @return true when a response completed
     */
    boolean onClose() {
        if (state != State.UNTIL_CLOSE) {
            return false;
        }
        int s = status;
        reset();
        listener.onResponse(s, false);
        return true;
    }

    /** Consumes all readable bytes of {@code in} (does not release it). */
    void feed(ByteBuf in) throws ProtocolException {
        while (in.isReadable()) {
            switch (state) {
                case FIXED_BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, in.readableBytes());
                    in.skipBytes(n);
                    remaining -= n;
                    if (remaining == 0) {
                        if (state == State.FIXED_BODY) {
                            complete();
                        } else {
                            state = State.CHUNK_DATA_END;
                            linePos = 0;
                        }
                    }
                }
                case UNTIL_CLOSE -> in.skipBytes(in.readableBytes());
                default -> {
                    int at = in.forEachByte(this);
                    if (error != null) {
                        String e = error;
                        error = null;
                        throw new ProtocolException(e);
                    }
                    if (at < 0) {
                        in.readerIndex(in.writerIndex());
                    } else {
                        in.readerIndex(at + 1);
                        afterStop();
                    }
                }
            }
        }
    }

    /**
     * Byte-level states. Returns false to stop at a point where {@link #afterStop} must act on the state
     * (end of the headers, end of a chunk-size line, end of the trailers) or on an error.
     */
    @Override
    public boolean process(byte b) {
        if (++linePos > MAX_LINE) {
            return fail("line longer than " + MAX_LINE + " bytes");
        }
        switch (state) {
            case STATUS_LINE -> {
                return statusLine(b);
            }
            case HEADER_NAME -> {
                return headerName(b);
            }
            case HEADER_VALUE -> {
                return headerValue(b);
            }
            case CHUNK_SIZE -> {
                return chunkSize(b);
            }
            case CHUNK_EXT -> {
                if (b == '\n') {
                    return false;
                }
                return true;
            }
            case CHUNK_DATA_END -> {
                if (b == '\n') {
                    state = State.CHUNK_SIZE;
                    linePos = 0;
                    remaining = 0;
                    chunkSizeSeen = false;
                } else if (b != '\r' || linePos > 1) {
                    return fail("expected CRLF after chunk data");
                }
                return true;
            }
            case TRAILERS -> {
                if (b == '\n') {
                    boolean end = nameLen == 0;
                    linePos = 0;
                    nameLen = 0;
                    return !end;
                }
                if (b != '\r') {
                    nameLen++;
                }
                return true;
            }
            default -> throw new IllegalStateException("state " + state + " is not byte-level");
        }
    }

    private boolean statusLine(byte b) {
        int i = linePos - 1;
        if (i < HTTP_1.length) {
            return b == HTTP_1[i] || fail("not an HTTP/1.x status line");
        }
        if (i == 7) {
            http10 = b == '0';
            return b == '0' || b == '1' || fail("unsupported HTTP version 1." + (char) b);
        }
        if (i == 8) {
            return b == ' ' || fail("expected a space after the version");
        }
        if (i >= 9 && i <= 11) {
            if (b < '0' || b > '9') {
                return fail("bad status code");
            }
            status = status * 10 + (b - '0');
            return true;
        }
        if (b == '\n') {
            if (i < 12) {
                return fail("status line too short");
            }
            state = State.HEADER_NAME;
            linePos = 0;
            nameLen = 0;
        }
        return true;
    }

    private boolean headerName(byte b) {
        if (b == '\n') {
            return nameLen != 0 && fail("header line without ':'");
        }
        if (b == '\r' && nameLen == 0) {
            return true;
        }
        if (b == ':') {
            header = which();
            state = State.HEADER_VALUE;
            valueLen = 0;
            return true;
        }
        if (nameLen < MAX_NAME) {
            name[nameLen] = lower(b);
        }
        nameLen++;
        return true;
    }

    private boolean headerValue(byte b) {
        if (b == '\n') {
            endHeader();
            state = State.HEADER_NAME;
            linePos = 0;
            nameLen = 0;
            return true;
        }
        if (b == '\r' || ((b == ' ' || b == '\t') && valueLen == 0)) {
            return true;
        }
        if (header == Header.CONTENT_LENGTH) {
            if (b < '0' || b > '9') {
                return b == ' ' || b == '\t' || fail("bad Content-Length");
            }
            contentLength = (contentLength < 0 ? 0 : contentLength) * 10 + (b - '0');
            valueLen++;
            return contentLength <= Long.MAX_VALUE / 16 || fail("Content-Length too large");
        }
        if (header != Header.OTHER && valueLen < MAX_VALUE) {
            value[valueLen] = lower(b);
        }
        valueLen++;
        return true;
    }

    private void endHeader() {
        int n = Math.min(valueLen, MAX_VALUE);
        switch (header) {
            case TRANSFER_ENCODING -> chunked |= contains(value, n, CHUNKED);
            case CONNECTION -> {
                connectionClose |= contains(value, n, CLOSE);
                connectionKeepAlive |= contains(value, n, KEEP_ALIVE);
            }
            default -> {
            }
        }
    }

    private boolean chunkSize(byte b) {
        if (b == '\n' || b == ';' || b == ' ' || b == '\t') {
            if (!chunkSizeSeen) {
                return fail("chunk size missing");
            }
            if (b == '\n') {
                return false;
            }
            state = State.CHUNK_EXT;
            return true;
        }
        if (b == '\r') {
            return true;
        }
        int digit = Character.digit(b, 16);
        if (digit < 0) {
            return fail("bad chunk size");
        }
        chunkSizeSeen = true;
        remaining = remaining * 16 + digit;
        return remaining <= Integer.MAX_VALUE || fail("chunk too large");
    }

    /** Acts on the state where {@link #process} stopped. */
    private void afterStop() {
        switch (state) {
            case HEADER_NAME -> endOfHeaders();
            case CHUNK_SIZE, CHUNK_EXT -> {
                linePos = 0;
                if (remaining == 0) {
                    state = State.TRAILERS;
                    nameLen = 0;
                } else {
                    state = State.CHUNK_DATA;
                }
            }
            case TRAILERS -> complete();
            default -> throw new IllegalStateException("stopped in state " + state);
        }
    }

    private void endOfHeaders() {
        linePos = 0;
        if (status >= 100 && status < 200) {
            // an interim response (100 Continue): the real one follows
            reset();
            return;
        }
        if (status == 204 || status == 304) {
            complete();
        } else if (chunked) {
            state = State.CHUNK_SIZE;
            remaining = 0;
            chunkSizeSeen = false;
        } else if (contentLength >= 0) {
            if (contentLength == 0) {
                complete();
            } else {
                remaining = contentLength;
                state = State.FIXED_BODY;
            }
        } else {
            state = State.UNTIL_CLOSE;
        }
    }

    private void complete() {
        int s = status;
        boolean keepAlive = http10 ? connectionKeepAlive && !connectionClose : !connectionClose;
        reset();
        listener.onResponse(s, keepAlive);
    }

    /** Forgets a half-read response (the connection it came from is gone). */
    void reset() {
        state = State.STATUS_LINE;
        linePos = 0;
        nameLen = 0;
        valueLen = 0;
        header = Header.OTHER;
        status = 0;
        http10 = false;
        contentLength = -1;
        chunked = false;
        connectionClose = false;
        connectionKeepAlive = false;
        remaining = 0;
    }

    private Header which() {
        if (equalsName(CONTENT_LENGTH)) {
            contentLength = -1;
            return Header.CONTENT_LENGTH;
        }
        if (equalsName(TRANSFER_ENCODING)) {
            return Header.TRANSFER_ENCODING;
        }
        if (equalsName(CONNECTION)) {
            return Header.CONNECTION;
        }
        return Header.OTHER;
    }

    private boolean equalsName(byte[] expected) {
        int n = nameLen;
        while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t')) {
            n--;
        }
        if (n != expected.length) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (name[i] != expected[i]) {
                return false;
            }
        }
        return true;
    }

    private boolean fail(String reason) {
        error = reason + " (at byte " + linePos + " of a line in state " + state + ")";
        return false;
    }

    private static boolean contains(byte[] haystack, int len, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= len; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static byte lower(byte b) {
        return b >= 'A' && b <= 'Z' ? (byte) (b + 32) : b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }
}
