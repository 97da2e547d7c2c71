package io.pharos.proxy.admin;

import io.pharos.proxy.cluster.ClusterSnapshot;
import io.pharos.proxy.config.ReloadResult;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What the admin API reads of the running proxy, and nothing else: the composition root implements
 * it, so this package never sees the server's loops, pools or listeners. Every method is read-only,
 * answers from published state without blocking, and may be called from any thread (the admin loop).
 */
public interface AdminView {

    /** A bound listener as {@code GET /status} shows it. */
    record Listener(String name, String protocol, InetSocketAddress address, String cluster, int activeConnections) {
    }

    /** False once shutdown started: {@code /healthz} answers 503. */
    boolean isServing();

    Instant started();

    /** The config file reloads read, if the proxy was started from one. */
    Optional<Path> configFile();

    /** Reloads applied since start. */
    long reloadsOk();

    /** Reloads rejected since start (the old config kept running). */
    long reloadsFailed();

    /** The last reload's result, or null before the first. */
    ReloadResult lastReload();

    /** The current listeners, in config order. */
    List<Listener> listeners();

    /** The current snapshot of every cluster, in config order. */
    List<ClusterSnapshot> clusters();

    /** The current snapshot of the cluster called {@code name}, or null if there is none. */
    ClusterSnapshot cluster(String name);

    /** {@code GET /continuity}: data continuity's state as a JSON document ({@code {"enabled":false}} when off). */
    String continuityJson();

    /** The Prometheus text exposition of every registered metric. */
    String scrapeMetrics();
}
