package io.pharos.proxy.continuity;

import io.pharos.health.testing.Await;
import io.pharos.proxy.admin.TestJson;
import io.pharos.proxy.demo.KvStoreDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, must-show 2: the run of {@link SyncFailoverIT} in async mode. At the kill, the writes the
 * secondary lacks are exactly those after what it had received, which is at least the confirmed
 * watermark the primary persisted (the secondary is cut off for the last quarter before the kill, so
 * there is a gap for certain); when the primary's proxy restarts on its old journal (and its apps on
 * their store), the rest is shipped and applied, and both stores agree.
 */
class AsyncCatchUpIT {
    static final int CUT_OFF_AFTER_ACKS = 3_000;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void theSecondaryLacksOnlyWhatFollowsTheWatermarkAndGetsItWhenThePrimaryComesBack() throws Exception {
        String async = "mode = async";
        try (Region primary = new Region("primary", tmp.resolve("primary"));
             Region secondary = new Region("secondary", tmp.resolve("secondary"))) {
            String primaryConfig = Region.startPair(primary, secondary, async);

            TreeSet<Integer> acked;
            TreeSet<Integer> unanswered;
            try (KeyedWrites writes = new KeyedWrites(primary.web(), SyncFailoverIT.WRITES, SyncFailoverIT.CONCURRENCY)) {
                writes.start();
                // the last quarter before the kill, the secondary is cut off (SIGSTOP): the primary's journal
                // runs ahead of what was shipped, so the catch-up below has a gap to fill for certain
                writes.awaitAcked(CUT_OFF_AFTER_ACKS, primary);
                secondary.pauseProxy(true);
                writes.awaitAcked(SyncFailoverIT.KILL_AFTER_ACKS, primary);
                writes.stop();
                primary.killAll();
                secondary.pauseProxy(false);
                writes.awaitEnd(Duration.ofSeconds(30));
                acked = writes.acked();
                unanswered = writes.unacknowledged();
            }
            assertTrue(acked.size() >= SyncFailoverIT.KILL_AFTER_ACKS && acked.size() < SyncFailoverIT.WRITES,
                    "acknowledged before the kill: " + acked.size());

            long watermark = JournalFiles.confirmed(primary.journal());
            TreeMap<Long, JournalFiles.Entry> journal = JournalFiles.records(primary.journal());
            Map<Long, Integer> writeOf = new TreeMap<>();
            Set<Integer> journaled = new HashSet<>();
            for (JournalFiles.Entry e : journal.values()) {
                int i = KeyedWrites.index(e.target().substring("/kv/".length()));
                assertEquals(KeyedWrites.idempotencyKey(i), e.idempotencyKey(), "record " + e);
                assertTrue(journaled.add(i), "journaled twice: " + e);
                writeOf.put(e.seq(), i);
            }
            long last = journal.isEmpty() ? 0 : journal.lastKey();
            assertEquals(journal.size(), last, "sequences 1..last, dense");
            for (int i : acked) {
                assertTrue(journaled.contains(i), "async acknowledges a write once it is in the journal: write " + i + " is not");
            }

            // The watermark file is persisted after the peer's acknowledgement, coalesced, so the peer may hold
            // a few records past it. What is provable: the secondary received exactly a prefix 1..received of the
            // primary's journal, received >= the persisted watermark; after applying it holds those writes, each
            // once, and none of the later ones: the missing writes are exactly those after `received`, all of them
            // after the watermark, and every write up to the watermark is there.
            Map<String, Object> in = secondary.awaitApplied("primary", watermark, Duration.ofSeconds(60));
            long received = TestJson.number(in, "received");
            assertTrue(watermark <= received && received <= last, "watermark " + watermark + " <= received " + received + " <= last " + last);
            Map<String, KvStoreDump.Key> atKill = Stores.read(secondary.store());
            System.out.printf("AsyncCatchUpIT: %d acknowledged, %d unanswered; primary journal 1..%d, watermark file %d,"
                    + " secondary received %d%n", acked.size(), unanswered.size(), last, watermark, received);
            writeOf.forEach((seq, i) -> {
                if (seq <= received) {
                    Stores.assertExactlyOnce(atKill, i, "secondary, record " + seq);
                } else {
                    assertFalse(atKill.containsKey(KeyedWrites.key(i)), "secondary has record " + seq + " past what it received");
                }
            });
            assertEquals(received, atKill.size(), "the secondary holds the received prefix and nothing else");
            assertTrue(received < last, "records left to ship at the kill: received " + received + ", last " + last);

            primary.startApps();
            primary.startProxy(primaryConfig);
            // the client retries what got no answer, with the same Idempotency-Key (what makes a retry safe)
            try (KeyedWrites retry = new KeyedWrites(primary.web(), SyncFailoverIT.WRITES, 1)) {
                for (int i : unanswered) {
                    Await.until(Duration.ofSeconds(30), "retry of write " + i, () -> retry.send(i) / 100 == 2);
                }
            }
            long total = primary.journalLast();
            assertTrue(total >= last, "the restarted proxy kept its journal: last " + total + " < " + last);
            Await.until(Duration.ofSeconds(60), "primary: outbound.confirmed == journal.last " + total + "\n" + primary.logs(),
                    () -> TestJson.number(primary.continuity(), "outbound", "confirmed") == total);
            secondary.awaitApplied("primary", total, Duration.ofSeconds(60));

            Map<String, KvStoreDump.Key> p = Stores.read(primary.store());
            Map<String, KvStoreDump.Key> s = Stores.read(secondary.store());
            Stores.assertNothingTwice(p, "primary");
            Stores.assertNothingTwice(s, "secondary");
            assertEquals(p.keySet(), s.keySet(), "both stores hold the same keys");
            p.forEach((key, k) -> {
                assertEquals(k.utf8Values(), s.get(key).utf8Values(), key);
                assertEquals(k.idempotencyKeys(), s.get(key).idempotencyKeys(), key);
            });
            for (int i : acked) {
                Stores.assertExactlyOnce(s, i, "secondary after catching up");
            }
            for (int i : unanswered) {
                Stores.assertExactlyOnce(s, i, "secondary, retried write");
            }
        }
    }
}
