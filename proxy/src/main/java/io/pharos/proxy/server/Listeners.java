package io.pharos.proxy.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.PharosConfig;
import io.pharos.proxy.config.PharosConfig.ListenerConfig;
import io.pharos.proxy.config.PharosConfig.Protocol;
import io.pharos.proxy.h2.HttpListenerInitializer;
import io.pharos.proxy.l4.TcpProxyInitializer;
import io.pharos.proxy.l7.HttpProxyInitializer;
import io.pharos.proxy.l7.ExchangeObserver;
import io.pharos.proxy.l7.ListenerContext;
import io.pharos.proxy.metrics.AccessLog;
import io.pharos.proxy.metrics.ListenerMetrics;
import io.pharos.proxy.tls.Alpn;
import io.pharos.proxy.tls.ListenerTls;
import io.pharos.proxy.tls.TlsException;
import io.pharos.proxy.transport.Transport;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The listening side of the proxy: one {@link ListenerSlot} per configured listener, the counters of
 * each listener name, and how a listener's pipeline is built (HTTP or TCP, TLS, PROXY protocol) over
 * the {@link Upstreams}. Bound and changed by the control thread; the slots map is immutable and
 * published with one volatile write, so any thread reads it.
 */
final class Listeners {
    private final Transport transport;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup loops;
    private final AccessLog accessLog;
    private final Upstreams upstreams;
    /** Every HTTP listener's (data continuity's). */
    private final ExchangeObserver exchangeObserver;
    /** Listener counters by name, kept while a listener of that name exists. */
    private final Map<String, ListenerMetrics> metrics = new ConcurrentHashMap<>();
    /** Immutable, in config order; replaced by the control thread. */
    private volatile Map<String, ListenerSlot> slots = Map.of();

    Listeners(Transport transport, EventLoopGroup acceptGroup, EventLoopGroup loops, AccessLog accessLog, Upstreams upstreams,
              ExchangeObserver exchangeObserver) {
        this.exchangeObserver = exchangeObserver;
        this.transport = transport;
        this.acceptGroup = acceptGroup;
        this.loops = loops;
        this.accessLog = accessLog;
        this.upstreams = upstreams;
    }

    /** A listener that could not be bound. */
    static final class BindException extends Exception {
        BindException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Creates a slot for {@code l} over {@code clusterMap} and binds it. Blocks: control thread. */
    ListenerSlot bind(ListenerConfig l, Map<String, Cluster> clusterMap, PharosConfig cfg) throws BindException, InterruptedException {
        ListenerMetrics m = listenerMetrics(l.name());
        ListenerContext context = newContext(l, clusterMap, cfg, m);
        ListenerTls tls = null;
        if (l.tls().isPresent()) {
            try {
                tls = ListenerTls.create(l.name(), l.tls().get(), alpn(l));
            } catch (TlsException e) {
                throw new BindException("listener " + l.name() + ": " + String.join("; ", e.problems()), e);
            }
        }
        ListenerSlot slot = new ListenerSlot(l, m, newInitializer(l, clusterMap, context, tls), context, tls);
        ServerBootstrap b = new ServerBootstrap()
                .group(acceptGroup, loops)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(slot.acceptor());
        try {
            slot.bound(b.bind(l.listen().resolve()).sync().channel());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new BindException("listener " + l.name() + ": cannot bind " + l.listen() + ": " + e.getMessage(), e);
        }
        return slot;
    }

    /** What a listener's TLS offers by ALPN: HTTP versions on HTTP listeners, nothing on TCP ones. */
    static Alpn alpn(ListenerConfig l) {
        return l.protocol() == Protocol.HTTP ? Alpn.HTTP : Alpn.NONE;
    }

    /** The counters of the listener called {@code name}, made on first use. Control thread. */
    ListenerMetrics listenerMetrics(String name) {
        return metrics.computeIfAbsent(name, n -> new ListenerMetrics(n, loops, System::nanoTime, accessLog));
    }

    /** The HTTP context a listener's connections share, or null for TCP. */
    ListenerContext newContext(ListenerConfig l, Map<String, Cluster> clusterMap, PharosConfig cfg, ListenerMetrics m) {
        return switch (l.protocol()) {
            case HTTP -> new ListenerContext(l.name(), clusterMap.get(l.cluster()), cfg.http(), l.tls().isPresent(), upstreams.health(), m,
                    cfg.shutdown().drainTimeout(), exchangeObserver);
            case TCP -> null;
        };
    }

    ChannelHandler newInitializer(ListenerConfig l, Map<String, Cluster> clusterMap, ListenerContext context, ListenerTls tls) {
        return switch (l.protocol()) {
            case HTTP -> new HttpListenerInitializer(new HttpProxyInitializer(context, upstreams::pool), tls, l.acceptProxyProtocol());
            case TCP -> new TcpProxyInitializer(clusterMap.get(l.cluster()), transport, upstreams.health(), l.acceptProxyProtocol(),
                    l.splice(), upstreams.upstreamTls(), tls);
        };
    }

    /** The running slots by name, in config order; any thread. */
    Map<String, ListenerSlot> slots() {
        return slots;
    }

    /** Control thread: at start and at the commit of a reload; counters of names that went away are dropped. */
    void publish(Map<String, ListenerSlot> newSlots) {
        this.slots = Collections.unmodifiableMap(newSlots);
        metrics.keySet().retainAll(newSlots.keySet());
    }

    /** Runs {@code task} after {@code delayMillis} on a proxy thread (not a data-plane loop). */
    void schedule(Runnable task, long delayMillis) {
        acceptGroup.next().schedule(task, delayMillis, TimeUnit.MILLISECONDS);
    }

    BoundListener listener(String name) {
        ListenerSlot s = slots.get(name);
        return s == null ? null : view(s);
    }

    List<BoundListener> listeners() {
        List<BoundListener> out = new ArrayList<>();
        for (ListenerSlot s : slots.values()) {
            out.add(view(s));
        }
        return out;
    }

    private static BoundListener view(ListenerSlot s) {
        return new BoundListener(s.config(), s.channel(), s.context(), s.tls());
    }

    /** Counters of the current listeners, by name. */
    Map<String, ListenerMetrics> metricsByListener() {
        Map<String, ListenerMetrics> out = new LinkedHashMap<>();
        for (ListenerSlot s : slots.values()) {
            out.put(s.config().name(), s.metrics());
        }
        return out;
    }

    /** Open client connections of a listener (0 if unknown). */
    int activeConnections(String listener) {
        ListenerSlot s = slots.get(listener);
        return s == null ? 0 : s.children().size();
    }

    /** Open client connections over all listeners. */
    int openClientConnections() {
        int n = 0;
        for (ListenerSlot s : slots.values()) {
            n += s.children().size();
        }
        return n;
    }

    /** Listeners stop accepting and every HTTP connection closes after its next response. Control thread. */
    void stopAccepting() {
        for (ListenerSlot s : slots.values()) {
            s.stopAccepting();
        }
    }

    /** Every HTTP context answers with {@code Connection: close} from now on. Control thread. */
    void endKeepAlive() {
        for (ListenerSlot s : slots.values()) {
            ListenerContext c = s.context();
            if (c != null) {
                c.setClosing();
            }
        }
    }

    /** Asks every HTTP client connection with nothing in flight to close now. */
    void closeIdleClientConnections() {
        for (ListenerSlot s : slots.values()) {
            s.closeIdleChildren();
        }
    }

    String describe() {
        List<String> out = new ArrayList<>();
        for (BoundListener l : listeners()) {
            out.add(l.config().name() + "=" + scheme(l.config()) + "://" + l.localAddress().getHostString() + ":" + l.localAddress().getPort()
                    + "->" + l.config().cluster());
        }
        return String.join(", ", out);
    }

    /** How a listener is named in the log: {@code http}, {@code https}, {@code tcp} or {@code tls} (TCP over TLS). */
    static String scheme(ListenerConfig l) {
        return switch (l.protocol()) {
            case HTTP -> l.tls().isPresent() ? "https" : "http";
            case TCP -> l.tls().isPresent() ? "tls" : "tcp";
        };
    }

    /** Closes every listening socket and the connections it accepted. Blocks up to a few seconds per listener. */
    void close() {
        for (ListenerSlot l : slots.values()) {
            Channel ch = l.channel();
            if (ch != null) {
                ch.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            l.children().close().awaitUninterruptibly(2, TimeUnit.SECONDS);
        }
    }
}
