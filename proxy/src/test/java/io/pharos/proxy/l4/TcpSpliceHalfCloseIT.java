package io.pharos.proxy.l4;

import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many short half-closed relays through the zero-copy splice path, both directions checksummed: each
 * connection sends a random amount each way (0 to 3 MiB; a quarter of the clients up to 10 MiB, more
 * than the kernel buffers on the way hold) with small socket buffers and a slow reader on
 * one side, so the proxy's target socket fills and spliced bytes wait in the kernel pipe while the FIN
 * of the other direction arrives. The order of the FINs varies: both sides at once, or one side sends
 * only after it has seen the other's FIN (the request/response shape of a half-closed TCP service).
 * The same with the buffered relay ({@code splice = false}). Each test is bounded to
 * {@value #MAX_CONNECTIONS} connections and a deadline (16 s spliced, 8 s buffered).
 */
class TcpSpliceHalfCloseIT {
    private static final int MAX_CONNECTIONS = 200;
    private static final int PARALLEL = 4;
    private static final int MAX_BYTES = 3 << 20;
    private static final int BIG_BYTES = 10 << 20;
    private static final int SMALL_BUFFER = 16 * 1024;

    /** What one side sent and received on one connection. */
    record Side(long sentBytes, long sentCrc, long receivedBytes, long receivedCrc) {
    }

    /**
     * How one connection behaves. {@code clientFirst}/{@code backendFirst}: that side writes everything
     * and half-closes at once, and the other side starts writing only after it read that FIN (with
     * neither flag both write at once).
     */
    record Plan(long id, int clientBytes, int backendBytes, boolean clientFirst, boolean backendFirst,
                boolean slowClientReader, boolean slowBackendReader) {
        static Plan random(long id, Random r) {
            int order = r.nextInt(3);
            boolean slowClient = r.nextBoolean();
            // now and then more than the kernel buffers on the way hold, so a spliced side backs up
            int clientMax = r.nextInt(4) == 0 ? BIG_BYTES : MAX_BYTES;
            return new Plan(id, 8 + r.nextInt(clientMax), r.nextInt(MAX_BYTES), order == 1, order == 2,
                    slowClient, !slowClient || r.nextInt(4) == 0);
        }
    }

    /** Backend side of each connection: the first 8 bytes the client sends are the plan's id. */
    private static final class Backend implements AutoCloseable {
        final ServerSocket server;
        final Map<Long, Plan> plans = new ConcurrentHashMap<>();
        final Map<Long, Side> results = new ConcurrentHashMap<>();
        final Map<Long, Throwable> errors = new ConcurrentHashMap<>();
        final List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        final ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "splice-it-backend");
            t.setDaemon(true);
            return t;
        });

        Backend() throws IOException {
            server = new ServerSocket();
            server.setReceiveBufferSize(SMALL_BUFFER);
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 200);
            pool.execute(this::acceptLoop);
        }

        private void acceptLoop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    pool.execute(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            long id = -1;
            try (s) {
                s.setSoTimeout(10_000);
                s.setSendBufferSize(SMALL_BUFFER);
                DataInputStream in = new DataInputStream(s.getInputStream());
                id = in.readLong();
                Plan p = plans.get(id);
                CRC32 readCrc = new CRC32();
                readCrc.update(longBytes(id));
                long[] read = new long[1];
                Future<?> reader = null;
                long[] sent;
                if (p.clientFirst()) {
                    read[0] = 8 + readAll(in, readCrc, p.slowBackendReader());
                    sent = writeAll(s, p.id() * 31 + 7, p.backendBytes());
                } else {
                    reader = pool.submit(() -> {
                        read[0] = 8 + readAll(in, readCrc, p.slowBackendReader());
                        return null;
                    });
                    sent = writeAll(s, p.id() * 31 + 7, p.backendBytes());
                    reader.get(10, TimeUnit.SECONDS);
                }
                results.put(id, new Side(sent[0], sent[1], read[0], readCrc.getValue()));
            } catch (Throwable e) {
                errors.put(id, e);
            }
        }

        @Override
        public void close() throws Exception {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private static byte[] longBytes(long v) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (v >>> (56 - 8 * i));
        }
        return b;
    }

    /** Writes {@code n} seeded random bytes, then half-closes; returns {length, crc}. */
    private static long[] writeAll(Socket s, long seed, int n) throws IOException {
        Random r = new Random(seed);
        CRC32 crc = new CRC32();
        OutputStream out = s.getOutputStream();
        byte[] chunk = new byte[32 * 1024];
        int left = n;
        while (left > 0) {
            int len = Math.min(left, 1 + r.nextInt(chunk.length));
            r.nextBytes(chunk);
            out.write(chunk, 0, len);
            crc.update(chunk, 0, len);
            left -= len;
        }
        out.flush();
        s.shutdownOutput();
        return new long[] {n, crc.getValue()};
    }

    /** Reads to EOF; a slow reader takes small bites and pauses, so the sender's socket fills. */
    private static long readAll(InputStream in, CRC32 crc, boolean slow) throws IOException, InterruptedException {
        byte[] buf = new byte[slow ? 4096 : 64 * 1024];
        long total = 0;
        int reads = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            crc.update(buf, 0, n);
            total += n;
            if (slow && ++reads % 2 == 0) {
                Thread.sleep(1);
            }
        }
        return total;
    }

    /** The client side of one connection: the id first, then the plan. */
    private static Side client(int port, Plan p, ExecutorService pool) throws Exception {
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(SMALL_BUFFER);
            s.setSendBufferSize(SMALL_BUFFER);
            s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            byte[] id = longBytes(p.id());
            out.write(id);
            CRC32 readCrc = new CRC32();
            long[] read = new long[1];
            long[] sent;
            if (p.backendFirst()) {
                read[0] = readAll(s.getInputStream(), readCrc, p.slowClientReader());
                sent = writeAll(s, p.id() * 17 + 3, p.clientBytes() - 8);
            } else {
                Future<?> reader = pool.submit(() -> {
                    read[0] = readAll(s.getInputStream(), readCrc, p.slowClientReader());
                    return null;
                });
                sent = writeAll(s, p.id() * 17 + 3, p.clientBytes() - 8);
                reader.get(10, TimeUnit.SECONDS);
            }
            CRC32 sentCrc = new CRC32();
            sentCrc.update(id);
            Random r = new Random(p.id() * 17 + 3);
            byte[] chunk = new byte[32 * 1024];
            int left = p.clientBytes() - 8;
            while (left > 0) {
                int len = Math.min(left, 1 + r.nextInt(chunk.length));
                r.nextBytes(chunk);
                sentCrc.update(chunk, 0, len);
                left -= len;
            }
            return new Side(sent[0] + 8, sentCrc.getValue(), read[0], readCrc.getValue());
        }
    }

    @Test
    void splicedHalfClosedRelaysDeliverEveryByteBothWays() throws Exception {
        relayMany(true, 16_000);
    }

    @Test
    void bufferedHalfClosedRelaysDeliverEveryByteBothWays() throws Exception {
        relayMany(false, 8_000);
    }

    /** Runs batches of {@value #PARALLEL} connections until {@value #MAX_CONNECTIONS} or the deadline. */
    private static void relayMany(boolean splice, long deadlineMillis) throws Exception {
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "splice-it-client");
            t.setDaemon(true);
            return t;
        });
        try (ProxyHarness h = new ProxyHarness(); Backend backend = new Backend()) {
            h.start("pharos { workers = 2\n listeners = [ { name = db, listen = \"127.0.0.1:0\", protocol = tcp, cluster = db"
                    + (splice ? "" : ", splice = false") + " } ]\n"
                    + " clusters { db { backends = [ { name = b, address = \"127.0.0.1:" + backend.server.getLocalPort() + "\" } ] } } }");
            assertTrue(h.server().transport().isEpoll(), "this test is about splice and half-close on epoll");
            long splicedBefore = SpliceStats.splicedConnections();
            Random random = new Random(System.nanoTime());
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
            List<String> failures = new ArrayList<>();
            int done = 0;
            while (done < MAX_CONNECTIONS && System.nanoTime() < deadline) {
                List<Plan> batch = new ArrayList<>();
                List<Future<Side>> clients = new ArrayList<>();
                for (int i = 0; i < PARALLEL; i++) {
                    Plan p = Plan.random(done + i, random);
                    backend.plans.put(p.id(), p);
                    batch.add(p);
                    clients.add(pool.submit(() -> client(h.port("db"), p, pool)));
                }
                for (int i = 0; i < PARALLEL; i++) {
                    Plan p = batch.get(i);
                    Side c;
                    try {
                        c = clients.get(i).get(20, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        failures.add(p + ": client failed: " + e);
                        continue;
                    }
                    Side b = waitForBackend(backend, p.id());
                    if (b == null) {
                        failures.add(p + ": backend failed: " + backend.errors.get(p.id()) + "; client " + c);
                        continue;
                    }
                    if (c.sentBytes() != b.receivedBytes() || c.sentCrc() != b.receivedCrc()) {
                        failures.add(p + ": client to backend: sent " + c.sentBytes() + " received " + b.receivedBytes()
                                + (c.sentCrc() != b.receivedCrc() ? " (CRC differs)" : ""));
                    }
                    if (b.sentBytes() != c.receivedBytes() || b.sentCrc() != c.receivedCrc()) {
                        failures.add(p + ": backend to client: sent " + b.sentBytes() + " received " + c.receivedBytes()
                                + (b.sentCrc() != c.receivedCrc() ? " (CRC differs)" : ""));
                    }
                }
                done += PARALLEL;
            }
            assertEquals(List.of(), failures, "relays that lost or changed bytes, out of " + done);
            assertTrue(done >= 2 * PARALLEL, "ran " + done + " connections before the deadline");
            assertEquals(splice ? done : 0, SpliceStats.splicedConnections() - splicedBefore,
                    splice ? "every connection was spliced" : "no connection was spliced");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The backend's side of relay {@code id}, or null when it failed or did not finish within 10 s. */
    private static Side waitForBackend(Backend backend, long id) throws InterruptedException {
        Await.within(Duration.ofSeconds(10), () -> backend.results.containsKey(id) || backend.errors.containsKey(id));
        return backend.results.get(id);
    }
}
