package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Backend connections for a client pipeline on an {@link EmbeddedChannel}: embedded channels with the
 * pool's HTTP/1.1 codec and backend handler, put idle into the {@link BackendConnectionPool}, so the
 * exchange leases one as it would a kept-alive connection. A test reads the request bytes the proxy
 * wrote to a backend and writes the backend's response bytes.
 */
final class EmbeddedBackends {
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    /** An idle connection to {@code backendName} in {@code pool} (started on {@code client}'s loop). */
    EmbeddedChannel add(EmbeddedChannel client, BackendConnectionPool pool, Cluster cluster, String backendName) {
        Backend backend = cluster.snapshot().member(backendName).backend();
        HttpBackendHandler handler = new HttpBackendHandler(pool::onIdleClosed);
        handler.lease(null, backend);
        EmbeddedChannel ch = new EmbeddedChannel(new HttpClientCodec(), handler);
        pool.release(backend, ch, cluster.config());
        client.runPendingTasks();
        channels.add(ch);
        return ch;
    }

    /** What was written to {@code ch} so far (client or backend side), as text. */
    static String written(EmbeddedChannel ch) {
        StringBuilder sb = new StringBuilder();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    /** The backend on {@code ch} sends {@code text}. */
    static void answer(EmbeddedChannel ch, String text) {
        ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
    }

    boolean isEmpty() {
        return channels.isEmpty();
    }

    /** Finishes every backend channel, releasing what is left in them. */
    void releaseAll() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }
}
