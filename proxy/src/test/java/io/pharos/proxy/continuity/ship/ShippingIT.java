package io.pharos.proxy.continuity.ship;

import io.pharos.health.config.HostPort;
import io.pharos.health.testing.Await;
import io.pharos.proxy.config.PharosConfig.TlsConfig;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.continuity.journal.RecordCodec;
import io.pharos.proxy.continuity.ship.ReceiverStatus.Refusal;
import io.pharos.proxy.tls.TestPki;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shipping between two regions' journals over real loopback sockets: a {@link PeerShipper} on the origin's
 * journal ({@code eu-west}) and a {@link ContinuityReceiver} filling the peer's ({@code us-east}) inbound
 * journal. Waits are bounded ({@link Await}); nothing asserts a duration.
 */
class ShippingIT {
    private static final String TOKEN = "s3cret-token";
    private static final String PEER_REGION = "us-east";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final JournalSettings SMALL_SEGMENTS = new JournalSettings(64 * 1024, 64L * 1024 * 1024, Duration.ofDays(1), 4096);

    @TempDir
    Path dir;

    /** Everything started, closed last-first. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    /** Inbound journals the listener was told of, by origin. */
    private final Map<String, Journal> opened = new ConcurrentHashMap<>();

    @AfterEach
    void closeAll() throws Exception {
        while (!started.isEmpty()) {
            started.pop().close();
        }
    }

    private <T extends AutoCloseable> T started(T c) {
        started.push(c);
        return c;
    }

    private Journal local() throws Exception {
        return started(Journal.openFile(dir.resolve("eu-west-journal"), SMALL_SEGMENTS));
    }

    private InboundJournals inbound(JournalSettings settings) throws Exception {
        return started(InboundJournals.open(dir.resolve("us-east-journal"), settings, opened::put));
    }

    private ContinuityReceiver receiver(int port, InboundJournals in) throws Exception {
        return receiver(new ReceiverSettings(new HostPort("127.0.0.1", port), Optional.of(TOKEN), Optional.empty(), PEER_REGION,
                256 * 1024), in);
    }

    private ContinuityReceiver receiver(ReceiverSettings settings, InboundJournals in) throws Exception {
        ContinuityReceiver r = started(new ContinuityReceiver(settings, in));
        r.start();
        return r;
    }

    private static ShipperSettings settings(URI peer) {
        return new ShipperSettings(peer, Optional.of(TOKEN), Optional.empty(), Optional.empty(), false, Optional.empty(),
                Optional.empty(), 50, 64 * 1024, Duration.ofMillis(10), Duration.ofMillis(160), Duration.ofSeconds(10));
    }

    /** {@link #settings} over TLS: trusting {@code ca}, checking {@code serverName}, presenting {@code client} if any. */
    private static ShipperSettings tlsSettings(URI peer, Optional<String> token, Path ca, Optional<String> serverName,
                                               Optional<TestPki.Leaf> client) {
        return new ShipperSettings(peer, token, Optional.of(ca), serverName, false, client.map(TestPki.Leaf::cert),
                client.map(TestPki.Leaf::key), 50, 64 * 1024, Duration.ofMillis(10), Duration.ofMillis(160), Duration.ofSeconds(10));
    }

    private PeerShipper shipper(Journal local, int port) throws Exception {
        return shipper(local, settings(URI.create("http://127.0.0.1:" + port)));
    }

    private PeerShipper shipper(Journal local, ShipperSettings settings) throws Exception {
        PeerShipper s = started(new PeerShipper(ShipRecords.ORIGIN, local, settings));
        s.start();
        return s;
    }

    /**
     * The peer's inbound copy holds exactly the origin's records from its oldest retained one (retention
     * drops applied ones), same sequences, times and content.
     */
    private static void assertSameRecords(Journal origin, Journal inbound) throws Exception {
        long from = Math.max(0, inbound.stats().firstSequence() - 1);
        List<JournalRecord> want = ShipRecords.readAll(origin, from);
        List<JournalRecord> got = ShipRecords.readAll(inbound, from);
        assertEquals(want.size(), got.size(), "records in the inbound journal after " + from);
        for (int i = 0; i < want.size(); i++) {
            assertEquals(from + i + 1, got.get(i).sequence(), "dense, no gap, no duplicate");
            assertEquals(want.get(i), got.get(i), "record " + (from + i + 1) + " after the trip");
        }
    }

    @Test
    void shipsAThousandRecordsInOrderAndPersistsTheWatermark() throws Exception {
        Journal local = local();
        ShipRecords.append(local, 1, 1000);
        InboundJournals in = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx = receiver(0, in);
        PeerShipper sh = started(new PeerShipper(ShipRecords.ORIGIN, local, settings(URI.create("http://127.0.0.1:" + rx.port()))));
        var all = sh.awaitConfirmed(1000);
        assertFalse(all.isDone());
        sh.start();
        all.get(30, TimeUnit.SECONDS);
        assertTrue(sh.awaitConfirmed(999).isDone(), "already confirmed: at once");

        Journal peerCopy = in.get(ShipRecords.ORIGIN).orElseThrow();
        assertEquals(Map.of(ShipRecords.ORIGIN, peerCopy), opened, "the listener heard of the new origin once");
        assertSameRecords(local, peerCopy);
        Await.until(WAIT, "the local watermark to be persisted", () -> local.confirmedSequence() == 1000);
        ShipperStatus s = sh.status();
        assertEquals(1000, s.confirmed());
        assertEquals(1000, s.recordsShipped());
        assertTrue(s.batchesShipped() >= 20, "batches of at most 50: " + s);
        assertTrue(s.available() && s.errors() == 0, s.toString());
        assertEquals(1000, rx.status().records());
        assertEquals(0, sh.waiterCount());

        sh.close();
        local.close();
        try (Journal reopened = Journal.openFile(dir.resolve("eu-west-journal"), SMALL_SEGMENTS)) {
            assertEquals(1000, reopened.confirmedSequence(), "the watermark survives a restart");
        }
    }

    @Test
    void receiverAndShipperRestartsResumeWithNoGapAndNoDuplicate() throws Exception {
        Journal local = local();
        ShipRecords.append(local, 1, 400);
        InboundJournals in1 = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx1 = receiver(0, in1);
        int port = rx1.port();
        PeerShipper sh1 = shipper(local, settings(URI.create("http://127.0.0.1:" + port)));
        Await.until(WAIT, "some records shipped", () -> sh1.status().confirmed() >= 100);
        rx1.close();
        in1.close();
        ShipRecords.append(local, 401, 600);
        Await.until(WAIT, "the shipper to notice the receiver is gone", () -> !sh1.peerAvailable()
                || sh1.status().confirmed() == 400);

        InboundJournals in2 = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx2 = receiver(port, in2);
        sh1.awaitConfirmed(600).get(30, TimeUnit.SECONDS);
        sh1.close();
        ShipRecords.append(local, 601, 800);
        PeerShipper sh2 = shipper(local, port);
        sh2.awaitConfirmed(800).get(30, TimeUnit.SECONDS);

        assertSameRecords(local, in2.get(ShipRecords.ORIGIN).orElseThrow());
        assertTrue(sh2.status().recordsShipped() <= 200 + 50, "the new shipper resumed from the watermark: " + sh2.status());
        assertEquals(0, rx2.status().refusals().get(Refusal.GAP), rx2.status().toString());
    }

    @Test
    void refusalsAreAnsweredAndNothingIsAppendedFromABadBatch() throws Exception {
        InboundJournals in = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx = receiver(new ReceiverSettings(new HostPort("127.0.0.1", 0), Optional.of(TOKEN), Optional.empty(),
                PEER_REGION, 64 * 1024), in);
        List<JournalRecord> five = new ArrayList<>();
        for (long n = 1; n <= 5; n++) {
            five.add(ShipRecords.record(n).withSequence(n, 1_700_000_000_000L + n));
        }
        byte[] good = ShipProtocol.encodeBatch(five.stream().map(RecordCodec::encode).toList());
        byte[] corrupt = good.clone();
        corrupt[good.length / 2] ^= 0x40;
        byte[] gap = ShipProtocol.encodeBatch(List.of(RecordCodec.encode(ShipRecords.record(8).withSequence(8, 8))));
        byte[] wrongOrigin = ShipProtocol.encodeBatch(List.of(RecordCodec.encode(JournalRecord.unsequenced("ap-south", "kv", 1,
                "k", "i", "PUT", "/", List.of(), new byte[0], 200, null, null).withSequence(1, 1))));
        try (HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            Post post = (body, token, origin) -> {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rx.port() + ShipProtocol.RECORDS_PATH))
                        .header("Content-Type", ShipProtocol.CONTENT_TYPE).header(ShipProtocol.ORIGIN_HEADER, origin)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
                if (token != null) {
                    b.header("Authorization", "Bearer " + token);
                }
                return c.send(b.build(), HttpResponse.BodyHandlers.ofString());
            };
            assertEquals(401, post.send(good, "wrong", ShipRecords.ORIGIN).statusCode());
            assertEquals(401, post.send(good, null, ShipRecords.ORIGIN).statusCode());
            assertEquals(403, post.send(good, TOKEN, PEER_REGION).statusCode());
            assertEquals(400, post.send(corrupt, TOKEN, ShipRecords.ORIGIN).statusCode());
            assertEquals(400, post.send(wrongOrigin, TOKEN, ShipRecords.ORIGIN).statusCode());
            assertEquals(400, post.send(good, TOKEN, "../etc").statusCode());
            assertEquals(400, post.send(new byte[0], TOKEN, ShipRecords.ORIGIN).statusCode(), "an empty batch");
            assertTrue(in.get(ShipRecords.ORIGIN).isEmpty(), "nothing opened, nothing appended for a bad batch");
            assertEquals(413, post.send(new byte[100 * 1024], TOKEN, ShipRecords.ORIGIN).statusCode());

            HttpResponse<String> ok = post.send(good, TOKEN, ShipRecords.ORIGIN);
            assertEquals(200, ok.statusCode(), ok.body());
            assertEquals("{\"origin\":\"eu-west\",\"durable\":5,\"applied\":0}", ok.body().strip());
            assertEquals(200, post.send(good, TOKEN, ShipRecords.ORIGIN).statusCode(), "a repeated batch is acknowledged");
            HttpResponse<String> conflict = post.send(gap, TOKEN, ShipRecords.ORIGIN);
            assertEquals(409, conflict.statusCode());
            assertEquals("{\"expected\":6}", conflict.body().strip());

            Journal peerCopy = in.get(ShipRecords.ORIGIN).orElseThrow();
            assertEquals(five, ShipRecords.readAll(peerCopy, 0));
            peerCopy.confirm(3);
            HttpResponse<String> status = c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + rx.port()
                    + ShipProtocol.STATUS_PATH + "?origin=eu-west")).header("Authorization", "Bearer " + TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("{\"durable\":5,\"applied\":3}", status.body().strip());
        }
        ReceiverStatus s = rx.status();
        assertEquals(2, s.refusals().get(Refusal.UNAUTHORIZED));
        assertEquals(1, s.refusals().get(Refusal.OWN_ORIGIN));
        assertEquals(4, s.refusals().get(Refusal.MALFORMED));
        assertEquals(1, s.refusals().get(Refusal.TOO_LARGE));
        assertEquals(1, s.refusals().get(Refusal.GAP));
        assertEquals(5, s.records());
        assertEquals(5, s.duplicates());
        assertTrue(s.lastError().startsWith("409 "), s.lastError());
    }

    @FunctionalInterface
    private interface Post {
        HttpResponse<String> send(byte[] body, String token, String origin) throws Exception;
    }

    @Test
    void aGapRewindsTheShipperToWhatThePeerExpects() throws Exception {
        Journal local = local();
        ShipRecords.append(local, 1, 30);
        local.confirm(20);
        InboundJournals in = inbound(SMALL_SEGMENTS);
        Journal peerCopy = in.openAsync(ShipRecords.ORIGIN).get(10, TimeUnit.SECONDS);
        for (JournalRecord r : ShipRecords.readAll(local, 0).subList(0, 10)) {
            peerCopy.appendReplica(r).get(10, TimeUnit.SECONDS);
        }
        ContinuityReceiver rx = receiver(0, in);
        PeerShipper sh = shipper(local, rx.port());
        sh.awaitConfirmed(30).get(30, TimeUnit.SECONDS);
        assertTrue(sh.status().rewinds() >= 1, "the peer held only 10 of the 20 the origin thought confirmed: " + sh.status());
        assertEquals(1, rx.status().refusals().get(Refusal.GAP));
        assertSameRecords(local, peerCopy);
    }

    @Test
    void anUnreachablePeerBacksOffBoundedAndShippingResumesWhenItReturns() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        Journal local = local();
        ShipRecords.append(local, 1, 50);
        PeerShipper sh = shipper(local, port);
        Await.until(WAIT, "the peer to be seen down", () -> !sh.peerAvailable());
        Await.until(WAIT, "the backoff to reach its bound", () -> sh.status().backoffMillis() == 160);
        long errors = sh.status().errors();
        Await.until(WAIT, "more failed attempts", () -> sh.status().errors() >= errors + 3);
        assertEquals(160, sh.status().backoffMillis(), "bounded by backoff-max");
        assertTrue(sh.status().lastError().contains("Connect"), sh.status().lastError());

        InboundJournals in = inbound(SMALL_SEGMENTS);
        receiver(port, in);
        sh.awaitConfirmed(50).get(30, TimeUnit.SECONDS);
        assertTrue(sh.peerAvailable());
        assertEquals(0, sh.status().backoffMillis());
        assertSameRecords(local, in.get(ShipRecords.ORIGIN).orElseThrow());
    }

    @Test
    void shipsOverTlsVerifyingTheCaAndTheServerName() throws Exception {
        TestPki pki = TestPki.create(Files.createDirectories(dir.resolve("pki")));
        TestPki.Leaf server = pki.leaf("server", "peer", "peer.test");
        InboundJournals in = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx = receiver(new ReceiverSettings(new HostPort("127.0.0.1", 0), Optional.of(TOKEN),
                Optional.of(tls(server, Optional.empty())), PEER_REGION, 256 * 1024), in);
        URI peer = URI.create("https://127.0.0.1:" + rx.port());
        Journal local = local();
        ShipRecords.append(local, 1, 100);

        PeerShipper wrongName = shipper(local, tlsSettings(peer, Optional.of(TOKEN), pki.caCert(), Optional.of("other.test"),
                Optional.empty()));
        Await.until(WAIT, "the wrong server name to be refused", () -> wrongName.status().errors() > 0);
        assertFalse(wrongName.peerAvailable());
        assertTrue(wrongName.status().lastError().contains("does not name other.test"), wrongName.status().lastError());
        assertEquals(0, wrongName.status().confirmed());
        wrongName.close();

        PeerShipper sh = shipper(local, tlsSettings(peer, Optional.of(TOKEN), pki.caCert(), Optional.of("peer.test"),
                Optional.empty()));
        sh.awaitConfirmed(100).get(30, TimeUnit.SECONDS);
        assertSameRecords(local, in.get(ShipRecords.ORIGIN).orElseThrow());
    }

    @Test
    void mutualTlsNeedsNoTokenAndRefusesAShipperWithoutACertificate() throws Exception {
        TestPki pki = TestPki.create(Files.createDirectories(dir.resolve("pki")));
        TestPki.Leaf server = pki.leaf("server", "peer");
        TestPki.Leaf client = pki.leaf("client", "eu-west-shipper");
        InboundJournals in = inbound(SMALL_SEGMENTS);
        ContinuityReceiver rx = receiver(new ReceiverSettings(new HostPort("127.0.0.1", 0), Optional.empty(),
                Optional.of(tls(server, Optional.of(pki.caCert()))), PEER_REGION, 256 * 1024), in);
        URI peer = URI.create("https://127.0.0.1:" + rx.port());
        Journal local = local();
        ShipRecords.append(local, 1, 100);

        PeerShipper anonymous = shipper(local, tlsSettings(peer, Optional.of(TOKEN), pki.caCert(), Optional.empty(),
                Optional.empty()));
        Await.until(WAIT, "a shipper without a client certificate to be refused", () -> anonymous.status().errors() > 0);
        assertEquals(0, anonymous.status().confirmed());
        anonymous.close();

        PeerShipper sh = shipper(local, tlsSettings(peer, Optional.empty(), pki.caCert(), Optional.empty(), Optional.of(client)));
        sh.awaitConfirmed(100).get(30, TimeUnit.SECONDS);
        assertSameRecords(local, in.get(ShipRecords.ORIGIN).orElseThrow());
    }

    @Test
    void aFullInboundJournalAnswers503AndShippingResumesOnceTheApplierConfirms() throws Exception {
        InboundJournals in = inbound(new JournalSettings(4096, 16 * 1024, Duration.ofDays(1), 1024));
        ContinuityReceiver rx = receiver(0, in);
        Journal local = local();
        ShipRecords.append(local, 1, 200);
        PeerShipper sh = shipper(local, rx.port());
        Await.until(WAIT, "the inbound journal to fill up", () -> rx.status().refusals().get(Refusal.FULL) > 0);
        Await.until(WAIT, "the shipper to back off", () -> sh.status().errors() > 0 && sh.status().lastError().contains("503"));
        long held = sh.status().confirmed();
        assertTrue(held < 200, "nothing applied, so not everything fits: " + held);

        Journal peerCopy = in.get(ShipRecords.ORIGIN).orElseThrow();
        Await.until(WAIT, "everything shipped while the test applies", () -> {
            peerCopy.confirm(peerCopy.durableSequence());
            return sh.status().confirmed() == 200;
        });
        assertSameRecords(local, peerCopy);
    }

    private static TlsConfig tls(TestPki.Leaf leaf, Optional<Path> clientCa) {
        return new TlsConfig(leaf.cert(), leaf.key(), List.of(), clientCa, List.of("TLSv1.2", "TLSv1.3"));
    }
}
