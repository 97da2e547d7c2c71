package io.pharos.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/1.1 load: {@code connections} {@link HttpConnection} slots spread round-robin over the generator's
 * event loops, a timeout sweeper per loop, and the {@link Measurement} on the calling thread.
 */
final class HttpLoad {
    private static final long SWEEP_MILLIS = 10;

    private HttpLoad() {
    }

    /**
     * The request bytes of connection {@code connection}: what wrk sends, plus {@code Connection: close} for one
     * request per connection, and the body with its length when there is one; {@code {c}} in the path becomes
     * the connection's index.
     */
    static byte[] request(BenchOptions o, int connection) {
        String hostHeader = o.port() == 80 ? o.host() : o.host() + ":" + o.port();
        byte[] body = o.body().getBytes(StandardCharsets.UTF_8);
        String head = o.method() + " " + o.path().replace("{c}", Integer.toString(connection)) + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n"
                + (o.newConnection() ? "Connection: close\r\n" : "")
                + (body.length > 0 || !o.method().equals("GET") ? "Content-Type: text/plain\r\nContent-Length: " + body.length + "\r\n" : "")
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] out = java.util.Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, out, h.length, body.length);
        return out;
    }

    /** Runs the load described by {@code o}; blocks for warm-up + duration. */
    static LoadResult run(BenchOptions o, PrintStream out) throws InterruptedException {
        InetSocketAddress target = new InetSocketAddress(o.host(), o.port());
        if (target.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve host " + o.host());
        }
        out.printf(Locale.ROOT, "pharos-bench %s http://%s:%d%s  %s, %s, %d connections, %d thread(s), %s%n",
                o.method(), o.host(), o.port(), o.path(), o.newConnection() ? "new connection per request" : "keep-alive",
                o.openLoop() ? String.format(Locale.ROOT, "open loop at %.0f req/s", o.rate()) : "closed loop",
                o.connections(), o.threads(), Transports.name());
        out.printf(Locale.ROOT, "  warm-up %s, counted %s%n", o.warmup(), o.duration());
        // every write sends a retained duplicate (released by the transport); the originals are released at the end
        List<ByteBuf> requests = new ArrayList<>();
        boolean perConnection = o.path().contains("{c}");
        EventLoopGroup group = Transports.group(o.threads());
        try {
            List<EventLoop> loops = new ArrayList<>();
            for (EventExecutor e : group) {
                loops.add((EventLoop) e);
            }
            List<LoopStats> stats = new ArrayList<>();
            List<List<HttpConnection>> perLoop = new ArrayList<>();
            for (int i = 0; i < loops.size(); i++) {
                stats.add(new LoopStats());
                perLoop.add(new ArrayList<>());
            }
            Bootstrap bootstrap = new Bootstrap()
                    .channel(Transports.socketChannel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, o.timeout().toMillis()));
            if (o.newConnection()) {
                // abortive close after each response: no TIME_WAIT, so the ephemeral ports last the whole run
                bootstrap.option(ChannelOption.SO_LINGER, 0);
            }
            LoadControl control = new LoadControl();
            long interval = o.openLoop() ? (long) (o.connections() * 1e9 / o.rate()) : 0;
            long origin = System.nanoTime();
            List<HttpConnection> all = new ArrayList<>();
            for (int i = 0; i < o.connections(); i++) {
                int l = i % loops.size();
                long firstDue = o.openLoop() ? origin + (long) (i * 1e9 / o.rate()) : 0;
                if (i == 0 || perConnection) {
                    requests.add(Unpooled.directBuffer().writeBytes(request(o, i)));
                }
                HttpConnection c = new HttpConnection(loops.get(l), bootstrap, target, requests.getLast(), control, stats.get(l),
                        o.newConnection(), interval, firstDue, o.timeout().toNanos());
                perLoop.get(l).add(c);
                all.add(c);
            }
            for (int l = 0; l < loops.size(); l++) {
                List<HttpConnection> mine = perLoop.get(l);
                loops.get(l).scheduleAtFixedRate(() -> {
                    long now = System.nanoTime();
                    for (HttpConnection c : mine) {
                        c.checkTimeout(now);
                    }
                }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
            }
            for (HttpConnection c : all) {
                c.startCrossThread();
            }
            LoadResult result = Measurement.run(o, "http", control, stats, out);
            for (int l = 0; l < loops.size(); l++) {
                List<HttpConnection> mine = perLoop.get(l);
                loops.get(l).submit(() -> mine.forEach(HttpConnection::close)).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
            return result;
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            requests.forEach(ByteBuf::release);
        }
    }
}
