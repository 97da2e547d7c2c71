package io.pharos.proxy.cluster;

import io.netty.handler.codec.http.HttpHeaders;
import io.pharos.proxy.cluster.Backend;

import java.net.SocketAddress;

/**
 * What a {@link LoadBalancer} may look at for one pick: the request's headers (L7; null for L4), the
 * client address, an explicit hash key that hashing balancers take instead of their configured
 * {@code hash-key} (a replayed write's partition key), and the backends this request already tried. Mutable and reused: one instance per
 * connection handler, confined to its event loop, reset for every request.
 */
public final class PickContext {
    /** Upper bound of tries of one request; retries never exceed it. */
    public static final int MAX_TRIES = 10;

    private final Backend[] tried = new Backend[MAX_TRIES];
    private int triedCount;
    private HttpHeaders headers;
    private SocketAddress remoteAddress;
    private String hashKey;

    /** Starts a new request (event loop). */
    public PickContext reset(HttpHeaders headers, SocketAddress remoteAddress) {
        for (int i = 0; i < triedCount; i++) {
            tried[i] = null;
        }
        triedCount = 0;
        this.headers = headers;
        this.remoteAddress = remoteAddress;
        this.hashKey = null;
        return this;
    }

    /**
     * Sets the key hashing balancers (ring-hash, maglev) hash for this pick instead of the one their
     * {@code hash-key} names in the request; {@link #reset} clears it.
     */
    public PickContext hashKey(String key) {
        this.hashKey = key;
        return this;
    }

    /** The explicit hash key of this pick, or null: the balancer reads its {@code hash-key} from the request. */
    public String hashKey() {
        return hashKey;
    }

    public HttpHeaders headers() {
        return headers;
    }

    public SocketAddress remoteAddress() {
        return remoteAddress;
    }

    /** Records a backend this request went to; the next picks exclude it. */
    public void addTried(Backend backend) {
        if (triedCount < MAX_TRIES) {
            tried[triedCount++] = backend;
        }
    }

    public int triedCount() {
        return triedCount;
    }

    public boolean isTried(Backend backend) {
        for (int i = 0; i < triedCount; i++) {
            if (tried[i] == backend) {
                return true;
            }
        }
        return false;
    }
}
