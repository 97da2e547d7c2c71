package io.pharos.proxy.h2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately low-level HTTP/2 client over cleartext (prior knowledge) for abuse tests: writes
 * exactly the frames asked for and reads frames back. Test thread only.
 */
final class RawH2 implements AutoCloseable {
    static final int DATA = 0, HEADERS = 1, RST_STREAM = 3, SETTINGS = 4, GOAWAY = 7, WINDOW_UPDATE = 8, CONTINUATION = 9;
    static final int END_STREAM = 0x1, END_HEADERS = 0x4;

    record Frame(int type, int flags, int stream, byte[] payload) {
        int errorCode() {
            int off = type == GOAWAY ? 4 : 0;
            return ((payload[off] & 0xff) << 24) | ((payload[off + 1] & 0xff) << 16) | ((payload[off + 2] & 0xff) << 8) | (payload[off + 3] & 0xff);
        }
    }

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;
    private final DefaultHttp2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    RawH2(int port) throws IOException {
        this(port, new byte[0]);
    }

    /** Sends {@code prefix} (e.g. a PROXY protocol header) before the connection preface. */
    RawH2(int port, byte[] prefix) throws IOException {
        socket = new Socket("127.0.0.1", port);
        pending.writeBytes(prefix);
        socket.setSoTimeout(20_000);
        out = socket.getOutputStream();
        in = new DataInputStream(socket.getInputStream());
        pending.writeBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(SETTINGS, 0, 0, new byte[0]);
    }

    static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("test").path(path);
    }

    byte[] headerBlock(Http2Headers headers) throws Exception {
        ByteBuf buf = Unpooled.buffer();
        try {
            hpack.encodeHeaders(0, headers, buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    /** Queues a frame; {@link #flush()} sends everything queued in one write. */
    RawH2 frame(int type, int flags, int stream, byte[] payload) {
        pending.write(payload.length >>> 16);
        pending.write(payload.length >>> 8);
        pending.write(payload.length);
        pending.write(type);
        pending.write(flags);
        pending.write(stream >>> 24);
        pending.write(stream >>> 16);
        pending.write(stream >>> 8);
        pending.write(stream);
        pending.writeBytes(payload);
        return this;
    }

    RawH2 headers(int stream, Http2Headers headers, boolean endStream) throws Exception {
        return frame(HEADERS, END_HEADERS | (endStream ? END_STREAM : 0), stream, headerBlock(headers));
    }

    RawH2 rst(int stream) {
        return frame(RST_STREAM, 0, stream, new byte[] {0, 0, 0, 8});
    }

    void flush() throws IOException {
        out.write(pending.toByteArray());
        out.flush();
        pending.reset();
    }

    /** The next frame, or null at end of stream (EOF or reset by the server). */
    Frame read() throws IOException {
        try {
            int len = in.readUnsignedByte() << 16 | in.readUnsignedByte() << 8 | in.readUnsignedByte();
            int type = in.readUnsignedByte();
            int flags = in.readUnsignedByte();
            int stream = in.readInt() & 0x7fffffff;
            byte[] payload = new byte[len];
            in.readFully(payload);
            return new Frame(type, flags, stream, payload);
        } catch (java.io.EOFException | java.net.SocketException e) {
            return null;
        }
    }

    /** Reads frames until one of {@code type} on {@code stream} (any stream if negative) or the end; returns it or null. */
    Frame await(int type, int stream) throws IOException {
        Frame f;
        while ((f = read()) != null) {
            if (f.type() == type && (stream < 0 || f.stream() == stream)) {
                return f;
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
