package io.pharos.proxy.l4;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollSocketChannel;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The bytes a spliced connection still had queued when its peer's FIN arrived. Netty's splice read
 * loop shuts the input down as soon as it sees the FIN (EPOLLRDHUP), possibly with data still in the
 * socket's receive queue, and never reads it; Linux keeps that data readable after {@code SHUT_RD}, so
 * it is read here straight from the socket and written to the other side, behind what was already
 * spliced. Loop-confined, stateless.
 */
final class SpliceTail {
    private static final int CHUNK = 64 * 1024;

    private SpliceTail() {
    }

    /** Moves everything still readable on {@code from} to {@code to} (not flushed). */
    static void drain(EpollSocketChannel from, Channel to) throws IOException {
        for (;;) {
            ByteBuf buf = from.alloc().directBuffer(CHUNK);
            int n;
            try {
                ByteBuffer nio = buf.internalNioBuffer(0, CHUNK);
                n = from.fd().read(nio, nio.position(), nio.limit());
            } catch (IOException | RuntimeException e) {
                buf.release();
                throw e;
            }
            if (n <= 0) {
                buf.release();
                return;
            }
            buf.writerIndex(n);
            to.write(buf, to.voidPromise());
        }
    }
}
