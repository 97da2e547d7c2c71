package io.pharos.proxy.continuity.apply;

import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContextBuilder;
import io.pharos.health.passive.OutlierStats;
import io.pharos.health.testing.Await;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalRecord.Header;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.health.ProxyHealth;
import io.pharos.proxy.l7.retry.RetryBudget;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;
import io.pharos.proxy.tls.TestPki;
import io.pharos.proxy.tls.UpstreamTls;
import io.pharos.proxy.transport.Transport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * The applier against real backends on loopback, fed from a real file journal: what a replay carries,
 * per-key order across parallel lanes, the applied watermark, retries on failures and on other backends,
 * stuck records shown in the status, a restart from the confirmed watermark, and a prompt close.
 */
class ApplierIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String ORIGIN = "eu-west";
    private static EventLoopGroup group;

    @TempDir
    Path dir;
    private Journal journal;
    private final List<ReplayBackend> backends = new ArrayList<>();
    private final List<Applier> appliers = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        group = Transport.best().newGroup(2, "apply-it");
    }

    @AfterAll
    static void stopLoops() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @AfterEach
    void tearDown() {
        appliers.forEach(Applier::close);
        backends.forEach(ReplayBackend::close);
        if (journal != null) {
            journal.close();
        }
    }

    @Test
    void everyRecordArrivesAsRecordedWithItsKeyAndReplayMark() throws Exception {
        ReplayBackend b = backend("b1");
        b.responder = (r, n) -> 201;
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        append(List.of(
                record("kv", "tenant-1", "idem-1", "POST", "/kv/a?x=1&y=%20", List.of(
                        h("Host", "app.example"), h("Content-Type", "application/json"), h("X-Trace", "t1"),
                        h("Connection", "keep-alive, X-Hop"), h("X-Hop", "secret"), h("Keep-Alive", "timeout=5"),
                        h("X-Trace", "t2"), h("Transfer-Encoding", "chunked"), h("idempotency-key", "client-old"),
                        h("Pharos-Replay", "forged/0/0"), h("Expect", "100-continue"), h("Content-Length", "999")),
                        "{\"v\":1}".getBytes(StandardCharsets.UTF_8)),
                record("kv", "tenant-2", "idem-2", "PUT", "/kv/b", List.of(
                        h("content-type", "application/octet-stream"), h("TE", "trailers"), h("Upgrade", "h2c"),
                        h("Proxy-Authorization", "Basic eA=="), h("X-Tenant", "tenant-2")), binary),
                record("kv", "tenant-1", "idem-3", "DELETE", "/kv/c", List.of(), new byte[0])));
        Applier a = start(settings(2), clusters(cluster("kv", "round-robin", b)));

        awaitApplied(a, 3);
        assertEquals(3, b.received.size());
        ReplayBackend.Received r1 = b.of(1).get(0);
        assertEquals("POST", r1.method());
        assertEquals("/kv/a?x=1&y=%20", r1.target());
        assertEquals(List.of(
                h("Host", "app.example"), h("Content-Type", "application/json"), h("X-Trace", "t1"), h("X-Trace", "t2"),
                h("content-length", "7"), h("Idempotency-Key", "idem-1"), h("Pharos-Replay", ORIGIN + "/7/1")), r1.headers());
        assertEquals("{\"v\":1}", new String(r1.body(), StandardCharsets.UTF_8));

        ReplayBackend.Received r2 = b.of(2).get(0);
        assertEquals("PUT", r2.method());
        assertEquals("/kv/b", r2.target());
        assertEquals(List.of(
                h("host", b.address()), h("content-type", "application/octet-stream"), h("X-Tenant", "tenant-2"),
                h("content-length", "256"), h("Idempotency-Key", "idem-2"), h("Pharos-Replay", ORIGIN + "/7/2")), r2.headers());
        assertArrayEquals(binary, r2.body());

        ReplayBackend.Received r3 = b.of(3).get(0);
        assertEquals("DELETE", r3.method());
        assertEquals(List.of(
                h("host", b.address()), h("content-length", "0"), h("Idempotency-Key", "idem-3"), h("Pharos-Replay", ORIGIN + "/7/3")),
                r3.headers());
        assertEquals(0, r3.body().length);

        Await.until(WAIT, "the watermark confirmed in the journal", () -> journal.confirmedSequence() == 3);
        ApplierStatus s = a.status();
        assertEquals(3, s.applied());
        assertEquals(0, s.pending());
        assertEquals(0, s.retries());
        assertTrue(s.stuck().isEmpty(), s.toString());
        assertEquals(0, s.lagRecords());
    }

    @Test
    void recordsOfOneKeyAreAppliedInOrderWhileLanesRunInParallel() throws Exception {
        ReplayBackend b = backend("b1");
        Set<Long> accepted = ConcurrentHashMap.newKeySet();
        ReplayBackend.Responder responder = (r, n) -> {
            long seq = r.sequence();
            if (seq % 7 == 0 && n == 1) {
                return 503;
            }
            accepted.add(seq);
            return 200;
        };
        b.responder = responder;
        b.delayMillis = 1;
        int records = 1000;
        int maxInFlight = 64;
        Random random = new Random(13);
        Map<Long, String> keyOf = new HashMap<>();
        List<JournalRecord> batch = new ArrayList<>();
        for (long seq = 1; seq <= records; seq++) {
            String key = "k" + random.nextInt(40);
            keyOf.put(seq, key);
            batch.add(record("kv", key, "idem-" + seq, "PUT", "/kv/" + key, List.of(), Long.toString(seq).getBytes(StandardCharsets.US_ASCII)));
        }
        append(batch);
        Applier a = start(new ApplierSettings(4, maxInFlight, Duration.ofMillis(5), Duration.ofMillis(20), Optional.empty()),
                clusters(cluster("kv", "round-robin", b)));

        long previous = 0;
        while (true) {
            ApplierStatus s = a.status();
            long w = s.appliedSequence();
            assertTrue(w >= previous, "the watermark never goes back: " + w + " after " + previous);
            for (long seq = previous + 1; seq <= w; seq++) {
                assertTrue(accepted.contains(seq), "record " + seq + " below the watermark " + w + " is applied");
            }
            assertTrue(s.pending() <= maxInFlight, "read-ahead is bounded: " + s);
            previous = w;
            if (w == records) {
                break;
            }
            Await.until(WAIT, "the watermark to move past " + w, () -> a.status().appliedSequence() > w);
        }

        Map<String, List<Long>> arrivals = new HashMap<>();
        for (ReplayBackend.Received r : b.received) {
            arrivals.computeIfAbsent(keyOf.get(r.sequence()), k -> new ArrayList<>()).add(r.sequence());
        }
        for (Map.Entry<String, List<Long>> e : arrivals.entrySet()) {
            List<Long> seqs = e.getValue();
            for (int i = 1; i < seqs.size(); i++) {
                assertTrue(seqs.get(i) >= seqs.get(i - 1), "key " + e.getKey() + " in order: " + seqs);
            }
            assertEquals(keyOf.entrySet().stream().filter(k -> k.getValue().equals(e.getKey())).map(Map.Entry::getKey).sorted().toList(),
                    seqs.stream().distinct().toList(), "key " + e.getKey());
        }
        assertEquals(records, accepted.size());
        assertTrue(b.maxInFlight() > 1, "lanes applied in parallel: at most " + b.maxInFlight() + " at once");
        assertTrue(b.connections() <= 4, "one keep-alive connection per lane: " + b.connections());
        assertEquals(records / 7, a.status().retries());
        Await.until(WAIT, "the watermark confirmed", () -> journal.confirmedSequence() == records);
    }

    @Test
    void failedAnswersAreRetriedAndAKeyReusedCountsAsApplied() throws Exception {
        ReplayBackend b = backend("b1");
        b.responder = (r, n) -> switch ((int) r.sequence()) {
            case 1 -> n == 1 ? 500 : 200;
            // in flight elsewhere (IETF draft): tried again until the key's first request settled
            case 2 -> n == 1 ? 409 : 200;
            case 3 -> 422;
            case 4 -> n <= 2 ? 503 : 201;
            // a replayed DELETE of what is already gone
            case 5 -> 404;
            default -> 200;
        };
        append(List.of(rec("a", 1), rec("b", 2), rec("c", 3), rec("d", 4),
                record("kv", "e", "idem-5", "DELETE", "/kv/e", List.of(), new byte[0])));
        Applier a = start(settings(2), clusters(cluster("kv", "round-robin", b)));

        awaitApplied(a, 5);
        assertEquals(List.of("idem-1", "idem-1"), keys(b.of(1)));
        assertEquals(List.of("idem-2", "idem-2"), keys(b.of(2)));
        assertEquals(List.of("idem-3"), keys(b.of(3)));
        assertEquals(List.of("idem-4", "idem-4", "idem-4"), keys(b.of(4)));
        assertEquals(List.of("idem-5"), keys(b.of(5)));
        ApplierStatus s = a.status();
        assertEquals(5, s.applied());
        assertEquals(2, s.alreadyApplied());
        assertEquals(4, s.retries());
    }

    @Test
    void aRecordRefusedByADownBackendGoesToTheOtherAndHealthHearsOfBoth() throws Exception {
        ReplayBackend down = backend("down");
        ReplayBackend up = backend("up");
        down.stop();
        CountingHealth health = new CountingHealth();
        List<JournalRecord> batch = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            batch.add(rec("key-" + i, i));
        }
        append(batch);
        Cluster kv = cluster("kv", "round-robin", down, up);
        Applier a = start(settings(2), clusters(kv), health);

        awaitApplied(a, 10);
        assertEquals(10, up.received.size());
        long retries = a.status().retries();
        assertTrue(retries > 0, "the down backend was tried: " + a.status() + " " + down.received);
        Backend downBackend = kv.snapshot().member("down").backend();
        Backend upBackend = kv.snapshot().member("up").backend();
        assertEquals(retries, health.localFailures.get(downBackend).get());
        assertEquals(10, health.responses.get(upBackend).get());
        assertEquals(10, upBackend.stats().responses(2));
        assertEquals(retries, downBackend.stats().failures());
        assertEquals(0, downBackend.inFlight() + upBackend.inFlight());
    }

    @Test
    void withEveryBackendDownARecordIsStuckVisiblyAndAppliedOnceOneComesBack() throws Exception {
        ReplayBackend b = backend("b1");
        b.stop();
        append(List.of(rec("same", 1), rec("same", 2), rec("other", 3)));
        Applier a = start(settings(2), clusters(cluster("kv", "round-robin", b)));

        ApplierStatus stuck = Await.value(WAIT, "record 1 stuck with a few tries", a::status,
                s -> s.stuck().isPresent() && s.stuck().get().sequence() == 1 && s.stuck().get().attempts() >= 3);
        ApplierStatus.Stuck one = stuck.stuck().get();
        assertTrue(one.lastError().contains("connect to " + b.address() + " failed"), one.lastError());
        assertEquals("kv", one.cluster());
        assertEquals("same", one.partitionKey());
        assertEquals(0, stuck.appliedSequence());
        assertEquals(3, stuck.pending());
        assertEquals(3, stuck.receivedSequence());
        assertEquals(3, stuck.lagRecords());
        assertTrue(stuck.lagSeconds() >= 0, stuck.toString());

        b.listen();
        awaitApplied(a, 3);
        for (long seq = 1; seq <= 3; seq++) {
            assertEquals(1, b.of(seq).size(), "record " + seq);
        }
        assertTrue(a.status().stuck().isEmpty(), a.status().toString());
    }

    @Test
    void aRestartResumesAfterTheConfirmedWatermarkAndSendsWhatFollowsItAgain() throws Exception {
        ReplayBackend b = backend("b1");
        AtomicInteger fiveAnswer = new AtomicInteger(500);
        b.responder = (r, n) -> r.sequence() == 5 ? fiveAnswer.get() : 201;
        List<JournalRecord> batch = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            batch.add(rec("key-" + i, i));
        }
        append(batch);
        Cluster kv = cluster("kv", "round-robin", b);
        int lanes = 4;
        // records after 5 in its lane wait behind it; the others are applied past it
        Set<Long> behindFive = new java.util.HashSet<>();
        for (long seq = 6; seq <= 10; seq++) {
            if (Applier.laneOf("key-" + seq, lanes) == Applier.laneOf("key-5", lanes)) {
                behindFive.add(seq);
            }
        }
        Applier first = start(settings(lanes), clusters(kv));
        Await.value(WAIT, "all but record 5 and those behind it applied, 1..4 confirmed",
                () -> first.status() + ", confirmed " + journal.confirmedSequence(),
                x -> first.status().applied() == 9 - behindFive.size() && journal.confirmedSequence() == 4
                        && first.status().stuck().map(s -> s.sequence() == 5).orElse(false));
        String error = first.status().stuck().get().lastError();
        assertTrue(error.startsWith("HTTP 500 from b1"), error);
        first.close();
        assertEquals(4, journal.confirmedSequence());
        journal.close();
        journal = Journal.openFile(dir, JournalSettings.defaults());
        assertEquals(4, journal.confirmedSequence(), "the watermark survives the restart");

        fiveAnswer.set(201);
        Applier second = start(settings(lanes), clusters(kv));
        awaitApplied(second, 10);
        assertEquals(6, second.status().applied(), "the second applier started after 4");
        for (long seq = 1; seq <= 4; seq++) {
            assertEquals(1, b.of(seq).size(), "record " + seq + ", below the watermark");
        }
        for (long seq = 6; seq <= 10; seq++) {
            String idem = "idem-" + seq;
            List<String> expected = behindFive.contains(seq) ? List.of(idem) : List.of(idem, idem);
            assertEquals(expected, keys(b.of(seq)), "record " + seq + ", above the watermark: sent again unless it waited behind 5");
        }
        assertTrue(b.of(5).size() >= 2, "record 5 tried again");
        Await.until(WAIT, "everything confirmed", () -> journal.confirmedSequence() == 10);
    }

    @Test
    void anUnknownClusterIsAVisibleErrorUntilAReloadAddsIt() throws Exception {
        ReplayBackend b = backend("b1");
        AtomicReference<Cluster> kv = new AtomicReference<>();
        append(List.of(rec("a", 1), rec("b", 2)));
        Applier a = start(settings(2), name -> name.equals("kv") ? kv.get() : null);

        ApplierStatus s = Await.value(WAIT, "record 1 stuck on the missing cluster", a::status,
                st -> st.stuck().map(x -> x.sequence() == 1 && x.attempts() >= 2).orElse(false));
        assertEquals("no cluster 'kv' here", s.stuck().get().lastError());
        assertTrue(b.received.isEmpty());

        kv.set(cluster("kv", "least-request", b));
        awaitApplied(a, 2);
        assertEquals(2, b.received.size());
    }

    @Test
    void aClusterWithUpstreamTlsIsReachedOverVerifiedTls() throws Exception {
        TestPki pki = TestPki.create(Files.createDirectory(dir.resolve("pki")));
        TestPki.Leaf leaf = pki.leaf("backend", "backend.internal", "backend.internal");
        ReplayBackend b = backend(new ReplayBackend("secure", group,
                SslContextBuilder.forServer(leaf.cert().toFile(), leaf.key().toFile()).build()));
        var config = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = kv } ]\n"
                + " clusters { kv { upstream-tls { ca-file = \"" + pki.caCert() + "\", server-name = backend.internal },"
                + " backends = [ { name = secure, address = \"" + b.address() + "\" } ] } } }");
        Cluster kv = new Cluster(config.clusters().get("kv"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
        append(List.of(rec("a", 1), rec("b", 2)));

        Applier withoutTls = start(settings(1), clusters(kv));
        ApplierStatus s = Await.value(WAIT, "record 1 stuck for want of client TLS", withoutTls::status, st -> st.stuck().isPresent());
        assertEquals("cluster 'kv' has upstream-tls, but the applier was given no client TLS", s.stuck().get().lastError());
        withoutTls.close();

        Applier a = new Applier(ORIGIN, journal, settings(1), clusters(kv), ProxyHealth.none(),
                UpstreamTls.create(config.clusters().values()), group, Transport.best());
        appliers.add(a);
        a.start();
        awaitApplied(a, 2);
        assertEquals(List.of("idem-1", "idem-2"), keys(b.received));
        assertEquals(1, b.connections(), "one TLS connection, kept alive");
    }

    @Test
    void closeWhileRetryingAndWaitingReturnsPromptly() throws Exception {
        ReplayBackend b = backend("b1");
        b.responder = (r, n) -> r.sequence() == 1 ? 0 : 500;
        append(List.of(rec("hangs", 1), rec("fails", 2)));
        Cluster kv = cluster("kv", "round-robin", b);
        Applier a = start(new ApplierSettings(2, 16, Duration.ofSeconds(30), Duration.ofSeconds(60), Optional.of(Duration.ofSeconds(60))),
                clusters(kv));
        Backend backend = kv.snapshot().member("b1").backend();
        Await.until(WAIT, "record 1 waiting for its answer, record 2 waiting for its next try",
                () -> b.of(1).size() == 1 && a.status().stuck().map(s -> s.sequence() == 2).orElse(false));
        assertEquals(1, backend.inFlight(), "the unanswered try counts in flight");

        assertTimeoutPreemptively(Duration.ofSeconds(10), a::close);
        assertEquals(0, backend.inFlight());
        assertEquals(0, journal.confirmedSequence());
    }

    // ------------------------------------------------------------------ helpers

    private ReplayBackend backend(String name) throws InterruptedException {
        return backend(new ReplayBackend(name, group));
    }

    private ReplayBackend backend(ReplayBackend b) {
        backends.add(b);
        return b;
    }

    private static Cluster cluster(String name, String balancer, ReplayBackend... members) throws Exception {
        StringBuilder list = new StringBuilder();
        for (ReplayBackend m : members) {
            // a comma between the objects: HOCON merges adjacent objects into one
            list.append("{ name = ").append(m.name).append(", address = \"").append(m.address()).append("\" }, ");
        }
        var config = ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = " + name + " } ]\n"
                + " clusters { " + name + " { balancer = " + balancer + ", backends = [ " + list + "],"
                + " timeouts { connect = 1s, request = 5s } } } }");
        return new Cluster(config.clusters().get(name), System::nanoTime, ConfiguredLoadBalancerFactory::of);
    }

    private static Function<String, Cluster> clusters(Cluster... cs) {
        Map<String, Cluster> m = new HashMap<>();
        for (Cluster c : cs) {
            m.put(c.name(), c);
        }
        return m::get;
    }

    private static ApplierSettings settings(int lanes) {
        return new ApplierSettings(lanes, 256, Duration.ofMillis(10), Duration.ofMillis(50), Optional.empty());
    }

    private Applier start(ApplierSettings settings, Function<String, Cluster> clusters) {
        return start(settings, clusters, ProxyHealth.none());
    }

    private Applier start(ApplierSettings settings, Function<String, Cluster> clusters, ProxyHealth health) {
        Applier a = new Applier(ORIGIN, journal, settings, clusters, health, null, group, Transport.best());
        appliers.add(a);
        a.start();
        return a;
    }

    private void append(List<JournalRecord> records) throws Exception {
        if (journal == null) {
            journal = Journal.openFile(dir, JournalSettings.defaults());
        }
        long first = journal.lastSequence() + 1;
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        for (JournalRecord r : records) {
            acks.add(journal.append(r));
        }
        for (int i = 0; i < acks.size(); i++) {
            assertEquals(first + i, acks.get(i).get(10, TimeUnit.SECONDS));
        }
    }

    private static List<String> keys(List<ReplayBackend.Received> requests) {
        return requests.stream().map(r -> r.header("Idempotency-Key")).toList();
    }

    private static void awaitApplied(Applier a, long sequence) throws InterruptedException {
        Await.value(WAIT, "the applied watermark at " + sequence, a::status, s -> s.appliedSequence() >= sequence);
    }

    private static JournalRecord rec(String key, long n) {
        return record("kv", key, "idem-" + n, "PUT", "/kv/" + key, List.of(h("Content-Type", "text/plain")),
                ("value-" + n).getBytes(StandardCharsets.US_ASCII));
    }

    private static JournalRecord record(String cluster, String key, String idem, String method, String target,
                                        List<Header> headers, byte[] body) {
        return JournalRecord.unsequenced(ORIGIN, cluster, 7, key, idem, method, target, headers, body, 201, null, null);
    }

    private static Header h(String name, String value) {
        return new Header(name, value);
    }

    /** Counts what the applier reports to passive health, per backend. */
    private static final class CountingHealth implements ProxyHealth {
        final Map<Backend, AtomicInteger> responses = new ConcurrentHashMap<>();
        final Map<Backend, AtomicInteger> localFailures = new ConcurrentHashMap<>();

        @Override
        public void attach(Cluster cluster) {
        }

        @Override
        public void detach(Cluster cluster) {
        }

        @Override
        public OutlierStats outlierStats(Backend backend) {
            return null;
        }

        @Override
        public void onResponse(Backend backend, int status) {
            responses.computeIfAbsent(backend, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void onLocalFailure(Backend backend) {
            localFailures.computeIfAbsent(backend, k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public RetryBudget retryBudget(String cluster) {
            throw new UnsupportedOperationException("the applier needs no retry budget");
        }

        @Override
        public void close() {
        }
    }
}
