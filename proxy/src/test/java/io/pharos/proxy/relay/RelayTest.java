package io.pharos.proxy.relay;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCounted;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The byte relay on two embedded channels that half-close like sockets: backpressure (a side is read
 * again only once its write to the other completed), FINs passed on behind the bytes before them, the
 * close once both are passed on, errors and the idle timeout closing both; every buffer released.
 */
class RelayTest {
    private final List<ReferenceCounted> sent = new ArrayList<>();
    private DuplexEmbeddedChannel client;
    private DuplexEmbeddedChannel backend;
    private Gate clientGate;
    private Gate backendGate;
    private long fromClient;
    private long fromBackend;

    /**
     * Counts the reads asked of its channel and, while shut, holds writes to it (their promises stay
     * pending, as a write to a full socket does).
     */
    private static final class Gate extends ChannelOutboundHandlerAdapter {
        private final ArrayDeque<Object> held = new ArrayDeque<>();
        private final ArrayDeque<ChannelPromise> promises = new ArrayDeque<>();
        private ChannelHandlerContext ctx;
        private boolean shut;
        private int reads;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void read(ChannelHandlerContext ctx) {
            reads++;
            ctx.read();
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (shut) {
                held.add(msg);
                promises.add(promise);
            } else {
                ctx.write(msg, promise);
            }
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (!shut) {
                ctx.flush();
            }
        }

        void open() {
            shut = false;
            while (!held.isEmpty()) {
                ctx.write(held.poll(), promises.poll());
            }
            ctx.flush();
        }
    }

    @BeforeEach
    void channels() {
        client = new DuplexEmbeddedChannel();
        backend = new DuplexEmbeddedChannel();
        // as the relayed channels run: a read happens only when asked for
        client.config().setAutoRead(false);
        backend.config().setAutoRead(false);
        clientGate = new Gate();
        backendGate = new Gate();
        client.pipeline().addLast(clientGate);
        backend.pipeline().addLast(backendGate);
    }

    /** Puts a relay between the two channels and starts it; {@code clientTls}: the client side terminates TLS. */
    private void start(boolean clientTls) {
        Relay relay = Relay.over(new HalfClose(client, clientTls, backend), n -> fromClient += n, n -> fromBackend += n);
        client.pipeline().addLast(Relay.HANDLER, relay.clientHandler());
        backend.pipeline().addLast(Relay.HANDLER, relay.backendHandler());
        relay.start();
    }

    @AfterEach
    void released() {
        client.finishAndReleaseAll();
        backend.finishAndReleaseAll();
        for (ReferenceCounted r : sent) {
            assertEquals(0, r.refCnt(), "every buffer relayed or dropped is released");
        }
    }

    private ByteBuf bytes(String s) {
        ByteBuf b = Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
        sent.add(b);
        return b;
    }

    /** The next piece {@code ch} sent to its peer socket, released; null when none. */
    private static String sentBy(DuplexEmbeddedChannel ch) {
        ByteBuf b = ch.readOutbound();
        if (b == null) {
            return null;
        }
        try {
            return b.toString(StandardCharsets.US_ASCII);
        } finally {
            b.release();
        }
    }

    /** Sent pieces up to the FIN's empty flush marker, concatenated. */
    private static String allSentBy(DuplexEmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        for (String s; (s = sentBy(ch)) != null; ) {
            sb.append(s);
        }
        return sb.toString();
    }

    @Test
    void eachSideIsReadAgainOnlyAfterItsWriteToTheOtherCompleted() {
        start(false);
        assertEquals(1, clientGate.reads, "started: both sides asked to read");
        assertEquals(1, backendGate.reads);

        backendGate.shut = true;
        client.writeInbound(bytes("hello"));
        assertEquals(1, clientGate.reads, "the client is not read while its write to the backend is pending");
        assertNull(sentBy(backend));
        backendGate.open();
        assertEquals("hello", sentBy(backend));
        assertEquals(2, clientGate.reads, "read again once the write completed");

        clientGate.shut = true;
        backend.writeInbound(bytes("world"));
        assertEquals(1, backendGate.reads, "the backend is not read while its write to the client is pending");
        clientGate.open();
        assertEquals("world", sentBy(client));
        assertEquals(2, backendGate.reads);
        assertEquals(5, fromClient);
        assertEquals(5, fromBackend);
    }

    @Test
    void theClientsFinIsPassedOnBehindItsBytesAndTheBackendCanStillAnswer() {
        start(false);
        backendGate.shut = true;
        client.writeInbound(bytes("request"));
        client.finArrives();
        assertFalse(backend.isOutputShutdown(), "not before the bytes ahead of the FIN are out");
        backendGate.open();
        assertEquals("request", allSentBy(backend));
        assertTrue(backend.isOutputShutdown(), "the client's FIN passed on to the backend");
        assertEquals(1, clientGate.reads, "a side whose FIN arrived is not read again");

        backend.writeInbound(bytes("answer"));
        assertEquals("answer", sentBy(client), "the other direction goes on");
        assertTrue(client.isOpen() && backend.isOpen());
        assertFalse(client.isOutputShutdown());
    }

    @Test
    void theBackendsFinIsPassedOnAndTheClientCanStillSend() {
        start(false);
        backend.writeInbound(bytes("bye"));
        backend.finArrives();
        assertEquals("bye", allSentBy(client));
        assertTrue(client.isOutputShutdown(), "the backend's FIN passed on to the client");
        assertEquals(2, backendGate.reads, "read again after its last piece, not after its FIN");

        client.writeInbound(bytes("more"));
        assertEquals("more", sentBy(backend));
        assertTrue(client.isOpen() && backend.isOpen());
    }

    @Test
    void closesBothOnceBothFinsArePassedOn() {
        start(false);
        client.finArrives();
        assertTrue(client.isOpen() && backend.isOpen(), "one FIN: still open");
        backend.finArrives();
        assertTrue(client.isOutputShutdown() && backend.isOutputShutdown());
        assertFalse(client.isOpen(), "client closed");
        assertFalse(backend.isOpen(), "backend closed");
    }

    @Test
    void anErrorOnTheBackendClosesBoth() {
        start(false);
        backend.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertFalse(client.isOpen());
        assertFalse(backend.isOpen());
    }

    @Test
    void anErrorOnTheClientClosesBoth() {
        start(false);
        client.pipeline().fireExceptionCaught(new IOException("Connection reset by peer"));
        assertFalse(client.isOpen());
        assertFalse(backend.isOpen());
    }

    @Test
    void aFailedWriteClosesBoth() {
        start(false);
        backendGate.shut = true;
        client.writeInbound(bytes("lost"));
        backendGate.promises.poll().setFailure(new IOException("Broken pipe"));
        ((ReferenceCounted) backendGate.held.poll()).release();
        assertFalse(client.isOpen());
        assertFalse(backend.isOpen());
    }

    @Test
    void theIdleTimeoutClosesBoth() {
        start(false);
        client.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertFalse(client.isOpen());
        assertFalse(backend.isOpen());
    }

    @Test
    void aSideThatClosesHasTheOtherClosedOnceItsWritesAreOut() {
        start(false);
        clientGate.shut = true;
        backend.writeInbound(bytes("last words"));
        backend.close();
        assertTrue(client.isOpen(), "the client still has a write in flight");
        clientGate.open();
        assertEquals("last words", allSentBy(client));
        assertFalse(client.isOpen());
    }

    @Test
    void piecesForAClosedPeerAndNonBufferMessagesAreReleased() {
        start(false);
        clientGate.shut = true;
        backend.close();
        assertTrue(client.isOpen(), "closes once its pending writes are out");
        client.writeInbound(bytes("too late"));
        client.writeInbound(new DefaultByteBufHolder(bytes("not a buffer")));
        assertEquals(0, fromClient, "nothing passed on");
    }

    @Test
    void aTlsClientsCloseNotifyEndsItsSideBothWays() {
        start(true);
        backendGate.shut = true;
        client.writeInbound(bytes("last"));
        client.pipeline().fireUserEventTriggered(SslCloseCompletionEvent.SUCCESS);
        assertTrue(client.isOpen() && backend.isOpen(), "not before the bytes ahead of it are out");
        backendGate.open();
        assertEquals("last", allSentBy(backend));
        assertTrue(backend.isOutputShutdown(), "the backend got a FIN behind the bytes before the close_notify");
        assertFalse(client.isOpen(), "the engine shut the client's sending side: with the backend's FIN out, both close");
        assertFalse(backend.isOpen());
    }

    @Test
    void aCloseNotifyCountsOnlyWhereTheClientSideTerminatesTls() {
        start(false);
        client.pipeline().fireUserEventTriggered(SslCloseCompletionEvent.SUCCESS);
        assertFalse(backend.isOutputShutdown());
        client.writeInbound(bytes("still relayed"));
        assertEquals("still relayed", sentBy(backend));
    }

    @Test
    void startAsksASideToReadEvenIfTheTransportShutItsInputButNotAgainAfterAWrite() {
        // the FIN is in, its event still kept back by a handler in front that hands it on when asked to read
        client.shutdownInput();
        start(false);
        assertEquals(1, clientGate.reads, "asked at the start");
        client.writeInbound(bytes("kept back"));
        assertEquals("kept back", sentBy(backend));
        assertEquals(1, clientGate.reads, "not asked again: epoll refuses to read a shut input");
        client.finArrives();
        assertTrue(backend.isOutputShutdown());
    }
}
