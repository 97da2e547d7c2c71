package io.pharos.proxy.l7;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig.HttpConfig;

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
    /** Set by the control thread when the listener is being removed or the proxy drains. */
    private volatile boolean closing;

    public ListenerContext(String name, Cluster cluster, HttpConfig http, boolean tls) {
        this.name = name;
        this.cluster = cluster;
        this.http = http;
        this.tls = tls;
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

    /** Whether keep-alive should end: responses carry {@code Connection: close}. */
    public boolean isClosing() {
        return closing;
    }

    public void setClosing() {
        closing = true;
    }
}
