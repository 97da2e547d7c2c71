package io.pharos.proxy.server;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.cluster.ClusterMember;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.PharosConfig.Protocol;
import io.pharos.proxy.config.ReloadResult;
import io.pharos.proxy.continuity.ContinuityRuntime;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.TlsException;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Applies a validated config to a running {@link PharosServer} as a diff, all or nothing, on the
 * control thread:
 * <ol>
 *   <li>check what the config loader cannot (balancers this build implements);</li>
 *   <li>build the clusters that are new and bind every new or moved listener address — if any bind
 *       fails, the new sockets are closed and the old config keeps running untouched;</li>
 *   <li>commit: kept clusters get {@link Cluster#applyConfig} (backends kept by identity with their
 *       state, counters and pooled connections; removed ones marked), added clusters start their health
 *       checks and removed ones stop them, listeners whose settings changed
 *       swap their pipeline on the same socket, removed or moved listeners stop accepting while their
 *       connections finish (HTTP/1.1: {@code Connection: close} on the next response; HTTP/2:
 *       {@code GOAWAY}; everything still open is closed at {@code shutdown.drain-timeout}).</li>
 * </ol>
 */
final class ConfigApplier {
    private static final Logger LOG = Logger.getLogger(ConfigApplier.class.getName());

    private final PharosServer server;
    private final Listeners listeners;
    private final Upstreams upstreams;

    ConfigApplier(PharosServer server, Listeners listeners, Upstreams upstreams) {
        this.server = server;
        this.listeners = listeners;
        this.upstreams = upstreams;
    }

    ReloadResult apply(PharosConfig next) throws InterruptedException {
        PharosConfig current = server.config();
        List<String> errors = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (ClusterConfig c : next.clusters().values()) {
            try {
                ConfiguredLoadBalancerFactory.of(c.balancer());
            } catch (IllegalArgumentException e) {
                errors.add("pharos.clusters." + c.name() + ".balancer: " + e.getMessage());
            }
        }
        ContinuityRuntime runningContinuity = server.continuity();
        if (runningContinuity != null && next.continuity().isPresent()) {
            errors.addAll(runningContinuity.check(next.continuity().get()));
        }
        if (!errors.isEmpty()) {
            return new ReloadResult(Instant.now(), false, errors, notes);
        }
        restartOnly(current, next, notes);

        Map<String, Cluster> oldClusters = upstreams.clusters();
        Map<String, Cluster> newClusters = new LinkedHashMap<>();
        for (ClusterConfig c : next.clusters().values()) {
            Cluster kept = oldClusters.get(c.name());
            newClusters.put(c.name(), kept != null ? kept : Upstreams.newCluster(c));
        }

        Map<String, ListenerSlot> oldSlots = previousSlots(listeners.slots(), next);
        Map<String, ListenerSlot> bound = new LinkedHashMap<>();
        for (int i = 0; i < next.listeners().size(); i++) {
            ListenerConfig l = next.listeners().get(i);
            ListenerSlot old = oldSlots.get(l.name());
            if (old == null || !old.config().listen().equals(l.listen())) {
                try {
                    bound.put(l.name(), listeners.bind(l, newClusters, next));
                } catch (Listeners.BindException e) {
                    errors.add("pharos.listeners[" + i + "].listen: " + e.getMessage());
                    break;
                }
            }
        }
        // certificates of kept listeners are read again on every reload (rotation keeps the same paths);
        // they are only built here, and swapped in at commit
        Map<String, Runnable> tlsSwaps = new LinkedHashMap<>();
        Map<String, ListenerTls> tlsCreated = new LinkedHashMap<>();
        if (errors.isEmpty()) {
            for (int i = 0; i < next.listeners().size(); i++) {
                ListenerConfig l = next.listeners().get(i);
                ListenerSlot old = oldSlots.get(l.name());
                if (bound.containsKey(l.name()) || l.tls().isEmpty()) {
                    continue;
                }
                try {
                    if (old.tls() != null && old.tls().alpn() == Listeners.alpn(l)) {
                        tlsSwaps.put(l.name(), old.tls().prepare(l.tls().get()));
                    } else {
                        // new TLS, or the listener's protocol changed: its ALPN offer with it
                        tlsCreated.put(l.name(), ListenerTls.create(l.name(), l.tls().get(), Listeners.alpn(l)));
                    }
                } catch (TlsException e) {
                    for (String problem : e.problems()) {
                        errors.add("pharos.listeners[" + i + "]." + problem);
                    }
                }
            }
            errors.addAll(upstreams.upstreamTls().prepare(next.clusters().values()));
        }
        // continuity configured by this reload: its journal opens and its listener binds before the commit
        ContinuityRuntime startedContinuity = null;
        if (errors.isEmpty() && runningContinuity == null && next.continuity().isPresent()) {
            try {
                startedContinuity = server.startContinuity(next.continuity().get());
            } catch (IOException | RuntimeException e) {
                errors.add("pharos.continuity: " + e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            for (ListenerSlot s : bound.values()) {
                s.channel().close().awaitUninterruptibly();
            }
            return new ReloadResult(Instant.now(), false, errors, notes);
        }

        // commit: nothing below can fail
        List<Cluster> addedClusters = new ArrayList<>();
        List<Cluster> removedClusters = new ArrayList<>();
        for (ClusterConfig c : next.clusters().values()) {
            Cluster existing = oldClusters.get(c.name());
            if (existing != null && !existing.config().equals(c)) {
                existing.applyConfig(c);
                notes.add("cluster " + c.name() + ": updated");
            } else if (existing == null) {
                addedClusters.add(newClusters.get(c.name()));
                notes.add("cluster " + c.name() + ": added");
            }
        }
        for (Map.Entry<String, Cluster> e : oldClusters.entrySet()) {
            if (!newClusters.containsKey(e.getKey())) {
                // its last snapshot stays as it is for connections of retired listeners that still use it;
                // marking its backends closes their pooled connections once idle
                for (ClusterMember m : e.getValue().snapshot().members()) {
                    m.backend().markRemoved();
                }
                removedClusters.add(e.getValue());
                notes.add("cluster " + e.getKey() + ": removed");
            }
        }
        upstreams.updateHealth(addedClusters, removedClusters);
        if (startedContinuity != null) {
            server.useContinuity(startedContinuity);
            notes.add("continuity: started (region " + next.continuity().get().region() + ")");
        } else if (runningContinuity != null && next.continuity().isPresent()) {
            if (!current.continuity().equals(next.continuity())) {
                notes.addAll(runningContinuity.reconfigure(next.continuity().get()));
            }
        }
        long drainMillis = next.shutdown().drainTimeout().toMillis();
        Map<String, ListenerSlot> newSlots = new LinkedHashMap<>();
        for (ListenerConfig l : next.listeners()) {
            ListenerSlot old = oldSlots.get(l.name());
            ListenerSlot fresh = bound.get(l.name());
            if (fresh != null) {
                if (old != null) {
                    retire(old, drainMillis);
                    notes.add("listener " + l.name() + ": moved to " + l.listen());
                } else {
                    notes.add("listener " + l.name() + ": added on " + l.listen());
                }
                newSlots.put(l.name(), fresh);
            } else {
                Runnable tlsSwap = tlsSwaps.get(l.name());
                if (tlsSwap != null) {
                    tlsSwap.run();
                }
                boolean httpChanged = l.protocol() == Protocol.HTTP && !current.http().equals(next.http());
                if (!old.config().equals(l) || httpChanged) {
                    boolean renamed = !old.config().name().equals(l.name());
                    ListenerMetrics m = renamed ? listeners.listenerMetrics(l.name()) : old.metrics();
                    ListenerContext ctx = listeners.newContext(l, newClusters, next, m);
                    ListenerTls tls = l.tls().isEmpty() ? null : tlsCreated.getOrDefault(l.name(), old.tls());
                    if (renamed) {
                        notes.add("listener " + old.config().name() + ": renamed " + l.name() + " on the same socket");
                    }
                    old.swap(l, listeners.newInitializer(l, newClusters, ctx, tls), ctx, tls, m);
                    notes.add("listener " + l.name() + ": settings changed");
                }
                newSlots.put(l.name(), old);
            }
        }
        for (Map.Entry<String, ListenerSlot> e : oldSlots.entrySet()) {
            if (!newSlots.containsKey(e.getKey())) {
                retire(e.getValue(), drainMillis);
                notes.add("listener " + e.getKey() + ": removed");
            }
        }
        server.publish(next, newClusters, newSlots);
        if (runningContinuity != null && next.continuity().isEmpty()) {
            // no cluster replicates any more (the loader checks): the journals close
            server.useContinuity(null);
            runningContinuity.close();
            notes.add("continuity: stopped");
        }
        return new ReloadResult(Instant.now(), true, List.of(), notes);
    }

    /**
     * The running slots by the name they go on under in {@code next}: their own, or, for a listener that
     * {@code next} no longer has, the name of a new listener on the same configured address, port 0 aside
     * (a rename keeps the socket: binding the address again would fail while the old socket holds it).
     */
    private static Map<String, ListenerSlot> previousSlots(Map<String, ListenerSlot> running, PharosConfig next) {
        Map<String, ListenerSlot> byName = new LinkedHashMap<>(running);
        Set<String> nextNames = new HashSet<>();
        for (ListenerConfig l : next.listeners()) {
            nextNames.add(l.name());
        }
        for (ListenerConfig l : next.listeners()) {
            if (running.containsKey(l.name()) || l.listen().port() == 0) {
                // port 0 asks for a fresh port, not for the old socket
                continue;
            }
            for (ListenerSlot s : running.values()) {
                String oldName = s.config().name();
                if (!nextNames.contains(oldName) && byName.get(oldName) == s && s.config().listen().equals(l.listen())) {
                    byName.remove(oldName);
                    byName.put(l.name(), s);
                    break;
                }
            }
        }
        return byName;
    }

    /**
     * Stops accepting; HTTP/1.1 connections close after their next response, HTTP/2 ones get
     * {@code GOAWAY} and close once their streams end; whatever is still open after {@code drainMillis}
     * (TCP relays, upgraded connections such as WebSockets, idle keep-alive connections, slow responses)
     * is closed then.
     */
    private void retire(ListenerSlot slot, long drainMillis) {
        slot.stopAccepting();
        slot.drainChildren();
        listeners.schedule(slot::closeChildrenNow, drainMillis);
    }

    private static void restartOnly(PharosConfig current, PharosConfig next, List<String> notes) {
        if (current.workers() != next.workers()) {
            notes.add("pharos.workers: changed; takes effect at restart");
        }
        if (!current.admin().equals(next.admin())) {
            notes.add("pharos.admin: changed; takes effect at restart");
        }
        if (!Objects.equals(current.events(), next.events())) {
            notes.add("pharos.events: changed; takes effect at restart");
        }
        if (!current.accessLog().equals(next.accessLog())) {
            notes.add("pharos.access-log: changed; takes effect at restart");
        }
        for (String n : notes) {
            LOG.warning("reload: " + n);
        }
    }
}
