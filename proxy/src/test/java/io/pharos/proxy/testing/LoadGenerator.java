package io.pharos.proxy.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Continuous HTTP load from test threads over plain sockets (no client-side retries that could hide a
 * failure): each thread cycles keep-alive GET, keep-alive POST with a body to {@code /sink} (checked),
 * and a GET on a fresh connection with {@code Connection: close}. A response carrying
 * {@code Connection: close} makes the thread reconnect. Bounded by a request count per thread and a
 * deadline; {@link #stop()} ends it early.
 *
 * <p>A request counts as failed when it was written and no complete, expected response came back
 * (reset, early close, wrong status or body). A refused connect is counted apart: nothing was in flight.
 */
public final class LoadGenerator implements AutoCloseable {
    private static final int POST_BYTES = 2048;

    private final int port;
    private final String getPath;
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final Queue<String> failures = new ConcurrentLinkedQueue<>();

    private LoadGenerator(int port, String getPath) {
        this.port = port;
        this.getPath = getPath;
    }

    /** Starts {@code threads} threads, each sending at most {@code maxPerThread} requests before {@code deadline}. */
    public static LoadGenerator start(int port, int threads, int maxPerThread, Duration deadline, String getPath) {
        LoadGenerator g = new LoadGenerator(port, getPath);
        long end = System.nanoTime() + deadline.toNanos();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> g.run(maxPerThread, end), "load-" + i);
            t.setDaemon(true);
            g.threads.add(t);
            t.start();
        }
        return g;
    }

    private void run(int max, long end) {
        RawHttp conn = null;
        String body = "x".repeat(POST_BYTES);
        for (int i = 0; i < max && !stop.get() && System.nanoTime() - end < 0; i++) {
            int kind = i % 3;
            boolean fresh = kind == 2;
            try {
                if (conn == null || fresh) {
                    if (conn != null) {
                        conn.close();
                    }
                    try {
                        conn = new RawHttp(port);
                    } catch (ConnectException e) {
                        refused.incrementAndGet();
                        conn = null;
                        Thread.sleep(5);
                        continue;
                    }
                }
            } catch (IOException | InterruptedException e) {
                fail("connect: " + e);
                conn = null;
                continue;
            }
            String req = switch (kind) {
                case 0 -> "GET " + getPath + " HTTP/1.1\r\nHost: t\r\n\r\n";
                case 1 -> "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: " + POST_BYTES + "\r\n\r\n" + body;
                default -> "GET " + getPath + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
            };
            try {
                conn.send(req);
                RawHttp.Response r = conn.read();
                if (r.status() != 200) {
                    fail("status " + r.status() + " for " + req.lines().findFirst().orElse("") + ": " + r.bodyText().trim());
                } else if (kind == 1 && !r.bodyText().startsWith("bytes=" + POST_BYTES + " ")) {
                    fail("POST body: " + r.bodyText());
                } else {
                    ok.incrementAndGet();
                }
                if (fresh || "close".equalsIgnoreCase(r.header("connection"))) {
                    conn.close();
                    conn = null;
                }
            } catch (IOException e) {
                fail(req.lines().findFirst().orElse("") + ": " + e);
                closeQuietly(conn);
                conn = null;
            }
        }
        closeQuietly(conn);
    }

    private static void closeQuietly(RawHttp c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already broken
            }
        }
    }

    private void fail(String what) {
        failed.incrementAndGet();
        if (failures.size() < 20) {
            failures.add(what);
        }
    }

    public long ok() {
        return ok.get();
    }

    public long failed() {
        return failed.get();
    }

    public long refused() {
        return refused.get();
    }

    public List<String> failures() {
        return new ArrayList<>(failures);
    }

    /** Stops the threads and waits for them (each finishes its current request). */
    public void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : threads) {
            t.join(30_000);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
