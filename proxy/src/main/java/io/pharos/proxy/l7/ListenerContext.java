package io.pharos.proxy.l7;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig.HttpConfig;
import io.pharos.proxy.health.ProxyHealth;

/**
 * What the handlers of one HTTP listener share: the cluster it serves, the client-side limits, and a
 * closing flag. Created on the control thread; the flag is written by the control thread and read by
 * event loops.
 */
public final class ListenerContext {
    private final String name;
    private final Cluster cluster;
    private final HttpConfig http;
    private final boolean tls;
    private final ProxyHealth health;
    /** Set by the control thread when the listener is being removed or the proxy drains. */
    private volatile boolean closing;

    /** A listener without health checking ({@link ProxyHealth#none()}): embedded use and handler tests. */
    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls) {
        this(name, cluster, http, tls, ProxyHealth.none());
    }

    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls, ProxyHealth health) {
        this.name = name;
        this.cluster = cluster;
        this.http = http;
        this.tls = tls;
        this.health = health;
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

    /** Passive health recording and the retry budget of the cluster. */
    public ProxyHealth health() {
        return health;
    }

    /** Whether keep-alive should end: responses carry {@code Connection: close}. */
    public boolean isClosing() {
        return closing;
    }

    public void setClosing() {
        closing = true;
    }
}
