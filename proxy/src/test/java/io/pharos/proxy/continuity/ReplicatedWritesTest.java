package io.pharos.proxy.continuity;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.config.PharosConfig.ContinuityMode;
import io.pharos.proxy.config.PharosConfig.OnPeerFailure;
import io.pharos.proxy.continuity.ContinuityCounters.Refused;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.l7.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReplicatedWritesTest {
    @TempDir
    Path dir;
    private Journal journal;
    private final ContinuityCounters counters = new ContinuityCounters();
    private final FakePeer peer = new FakePeer();
    private long lagMillis = -1;

    /** A peer that acknowledges what the test says, when it says. */
    static final class FakePeer implements PeerLink {
        volatile boolean available = true;
        volatile long confirmed;
        final java.util.List<CompletableFuture<Void>> waiting = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public CompletableFuture<Void> awaitConfirmed(long sequence) {
            if (sequence <= confirmed) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiting.add(f);
            return f;
        }

        @Override
        public boolean peerAvailable() {
            return available;
        }
    }

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    private ReplicatedWrites writes(JournalSettings settings) throws Exception {
        journal = Journal.openFile(dir, settings);
        return new ReplicatedWrites("zurich", 0, journal, peer, counters, () -> lagMillis);
    }

    private static ClusterContinuity cc(ContinuityMode mode, OnPeerFailure onFailure, Duration maxLag) {
        ClusterContinuity off = ClusterContinuity.OFF;
        return new ClusterContinuity(mode, off.methods(), off.paths(), off.partitionKey(), 1024, off.headers(),
                Duration.ofMillis(200), onFailure, maxLag);
    }

    private static JournalRecord record(int bodyBytes) {
        return JournalRecord.unsequenced("zurich", "app", 0, "/kv/a", "idem-1", "PUT", "/kv/a", List.of(),
                new byte[bodyBytes], 201, "\"1\"", null);
    }

    private static Refusal await(java.util.concurrent.CompletionStage<Refusal> s) throws Exception {
        return s.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void asyncWriteIsReleasedOnceDurableHere() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        ClusterContinuity async = cc(ContinuityMode.ASYNC, OnPeerFailure.FAIL, Duration.ZERO);
        assertNull(w.admit(async, 10));
        assertNull(await(w.commit(async, record(10))));
        assertEquals(1, journal.durableSequence());
        assertEquals(1, counters.journaled.sum());
    }

    @Test
    void bodiesOverMaxBodyAreRefusedWith413() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        Refusal r = w.admit(cc(ContinuityMode.ASYNC, OnPeerFailure.FAIL, Duration.ZERO), 1025);
        assertEquals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, r.status());
        assertEquals(1, counters.refused(Refused.BODY_TOO_LARGE));
    }

    @Test
    void aFullJournalRefusesWith503AndThenRefusesUpFront() throws Exception {
        ReplicatedWrites w = writes(new JournalSettings(4096, 4096, Duration.ofDays(1), 64));
        ClusterContinuity async = cc(ContinuityMode.ASYNC, OnPeerFailure.FAIL, Duration.ZERO);
        Refusal last = null;
        for (int i = 0; i < 20 && last == null; i++) {
            last = await(w.commit(async, record(1000)));
        }
        assertNotNull(last, "a 4 KiB journal with nothing confirmed fills up");
        assertEquals(HttpResponseStatus.SERVICE_UNAVAILABLE, last.status());
        assertTrue(last.retryAfterSeconds() > 0);
        assertEquals(1, counters.refused(Refused.JOURNAL_FULL));
        Refusal upFront = w.admit(async, 10);
        assertNotNull(upFront, "the next write is refused before its backend applies it");
        assertEquals(HttpResponseStatus.SERVICE_UNAVAILABLE, upFront.status());
    }

    @Test
    void syncWriteWaitsForThePeer() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        ClusterContinuity sync = cc(ContinuityMode.SYNC, OnPeerFailure.FAIL, Duration.ZERO);
        CompletableFuture<Refusal> f = w.commit(sync, record(10)).toCompletableFuture();
        io.pharos.health.testing.Await.until(Duration.ofSeconds(10), "the write waits for the peer", () -> !peer.waiting.isEmpty());
        assertTrue(!f.isDone());
        peer.waiting.get(0).complete(null);
        assertNull(f.get(10, TimeUnit.SECONDS));
        assertEquals(1, counters.syncConfirmed.sum());
    }

    @Test
    void aSyncWriteThePeerNeverAcknowledgesFailsOrDegrades() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        Refusal failed = await(w.commit(cc(ContinuityMode.SYNC, OnPeerFailure.FAIL, Duration.ZERO), record(10)));
        assertEquals(HttpResponseStatus.SERVICE_UNAVAILABLE, failed.status());
        assertTrue(failed.reason().contains("did not acknowledge within 200 ms"), failed.reason());
        assertTrue(failed.reason().contains("Idempotency-Key"), failed.reason());
        assertEquals(1, counters.refused(Refused.SYNC_TIMEOUT));

        assertNull(await(w.commit(cc(ContinuityMode.SYNC, OnPeerFailure.DEGRADE, Duration.ZERO), record(10))));
        assertEquals(1, counters.degraded.sum());
    }

    @Test
    void aPeerKnownDownRefusesSyncWritesUpFrontUnlessTheyDegrade() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        peer.available = false;
        assertEquals(HttpResponseStatus.SERVICE_UNAVAILABLE, w.admit(cc(ContinuityMode.SYNC, OnPeerFailure.FAIL, Duration.ZERO), 1).status());
        ClusterContinuity degrade = cc(ContinuityMode.SYNC, OnPeerFailure.DEGRADE, Duration.ZERO);
        assertNull(w.admit(degrade, 1));
        assertNull(await(w.commit(degrade, record(1))), "acknowledged as async at once");
        assertTrue(peer.waiting.isEmpty());
        assertEquals(1, counters.degraded.sum());
    }

    @Test
    void asyncLagOverMaxLagRefusesWrites() throws Exception {
        ReplicatedWrites w = writes(JournalSettings.defaults());
        ClusterContinuity braked = cc(ContinuityMode.ASYNC, OnPeerFailure.FAIL, Duration.ofSeconds(5));
        lagMillis = 4_000;
        assertNull(w.admit(braked, 1));
        lagMillis = 6_000;
        Refusal r = w.admit(braked, 1);
        assertEquals(HttpResponseStatus.SERVICE_UNAVAILABLE, r.status());
        assertEquals(1, counters.refused(Refused.MAX_LAG));
        assertNull(w.admit(cc(ContinuityMode.ASYNC, OnPeerFailure.FAIL, Duration.ZERO), 1), "no brake without max-lag");
    }
}
