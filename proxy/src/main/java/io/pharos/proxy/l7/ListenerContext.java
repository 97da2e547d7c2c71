package io.pharos.proxy.l7;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig.HttpConfig;
import io.pharos.proxy.config.PharosConfig.ShutdownConfig;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.metrics.ListenerMetrics;

import java.time.Duration;

/**
 * What the handlers of one HTTP listener share: the cluster it serves, the client-side limits, the
 * exchange observer, and a closing flag. Created on the control thread; the flag is written by the control thread and read by
 * event loops.
 */
public final class ListenerContext {
    /**
     * User event fired into a client connection's pipeline at shutdown: a connection with no request in
     * flight closes now; one with a request in flight closes after its response.
     */
    public static final Object CLOSE_IF_IDLE = new Object() {
        @Override
        public String toString() {
            return "CLOSE_IF_IDLE";
        }
    };
    /**
     * User event fired into a client connection's pipeline when its listener is removed or moved by a
     * reload: an HTTP/2 connection sends {@code GOAWAY} and closes once its streams end; an HTTP/1.1
     * connection ignores it (the closing flag already ends it after its next response, and the drain
     * deadline ends an idle one), because closing an idle keep-alive connection races with a request
     * the client may be sending on it.
     */
    public static final Object DRAIN = new Object() {
        @Override
        public String toString() {
            return "DRAIN";
        }
    };

    private final String name;
    private final Cluster cluster;
    private final HttpConfig http;
    private final boolean tls;
    private final ProxyHealth health;
    private final ListenerMetrics metrics;
    private final Duration drainTimeout;
    private final ExchangeObserver exchangeObserver;
    /** Set by the control thread when the listener is being removed or the proxy drains. */
    private volatile boolean closing;

    /** A listener without health checking ({@link ProxyHealth#none()}): embedded use and handler tests. */
    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls) {
        this(name, cluster, http, tls, ProxyHealth.none());
    }

    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls, ProxyHealth health) {
        this(name, cluster, http, tls, health, ListenerMetrics.detached(name));
    }

    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls, ProxyHealth health, ListenerMetrics metrics) {
        this(name, cluster, http, tls, health, metrics, ShutdownConfig.DEFAULT_DRAIN_TIMEOUT);
    }

    /** @param drainTimeout how long a draining connection's work in flight may take ({@code shutdown.drain-timeout}) */
    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls, ProxyHealth health, ListenerMetrics metrics,
            Duration drainTimeout) {
        this(name, cluster, http, tls, health, metrics, drainTimeout, ExchangeObserver.noop());
    }

    /**
     * @param exchangeObserver may hook each of this listener's HTTP exchanges to refuse, watch or hold it
     *        ({@link ExchangeObserver#noop()} for none)
     */
    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls, ProxyHealth health, ListenerMetrics metrics,
            Duration drainTimeout, ExchangeObserver exchangeObserver) {
        this.name = name;
        this.exchangeObserver = exchangeObserver;
        this.drainTimeout = drainTimeout;
        this.cluster = cluster;
        this.http = http;
        this.tls = tls;
        this.health = health;
        this.metrics = metrics;
    }

    public String name() {
        return name;
    }

    public Cluster cluster() {
        return cluster;
    }

    public HttpConfig http() {
        return http;
    }

    public boolean tls() {
        return tls;
    }

    /** Counters, latency and access log of this listener. */
    public ListenerMetrics metrics() {
        return metrics;
    }

    /** Passive health recording and the retry budget of the cluster. */
    public ProxyHealth health() {
        return health;
    }

    /**
     * Asked once per accepted request whether to hook the exchange ({@link ExchangeHook}: refuse it, see
     * its body, hold its response); {@link ExchangeObserver#noop()} unless wired otherwise.
     */
    public ExchangeObserver exchangeObserver() {
        return exchangeObserver;
    }

    /** How long a draining connection's work in flight may take before it is closed. */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** Whether keep-alive should end: responses carry {@code Connection: close}. */
    public boolean isClosing() {
        return closing;
    }

    public void setClosing() {
        closing = true;
    }
}
