package io.pharos.proxy.l7.retry;

import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;

import java.util.ArrayList;

/**
 * Keeps the request body pieces sent to a backend, up to a byte limit, so that the request can be sent
 * again to another backend. Once the body outgrows the limit the pieces are released and the request
 * is no longer replayable. Confined to the event loop of one client connection; reused per request.
 */
public final class ReplayBuffer {
    private final ArrayList<HttpContent> pieces = new ArrayList<>();
    /** Written by the owning loop: the limit for the current request. */
    private int limit;
    /** Written by the owning loop. */
    private long bytes;
    /** Written by the owning loop: false once the body outgrew the limit. */
    private boolean replayable = true;

    /** Starts a new request with this limit (bytes); releases anything kept. */
    public void reset(int limit) {
        clear();
        this.limit = limit;
        this.bytes = 0;
        this.replayable = true;
    }

    /** Keeps a duplicate of a piece about to be sent (the caller still owns and sends {@code content}). */
    public void add(HttpContent content) {
        if (!replayable) {
            return;
        }
        bytes += content.content().readableBytes();
        if (bytes > limit) {
            replayable = false;
            clear();
            return;
        }
        pieces.add(content.retainedDuplicate());
    }

    /** Whether everything sent so far is kept. */
    public boolean isReplayable() {
        return replayable;
    }

    /** Writes duplicates of the kept pieces to {@code ch} (not flushed); the buffer keeps its own. */
    public void writeTo(Channel ch) {
        // indexed loops: called on every exchange, mostly with nothing kept; an iterator would be garbage each time
        for (int i = 0; i < pieces.size(); i++) {
            ch.write(pieces.get(i).retainedDuplicate(), ch.voidPromise());
        }
    }

    /** Releases the kept pieces. */
    public void clear() {
        for (int i = 0; i < pieces.size(); i++) {
            pieces.get(i).release();
        }
        pieces.clear();
    }
}
