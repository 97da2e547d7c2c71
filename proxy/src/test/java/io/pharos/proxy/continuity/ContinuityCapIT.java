package io.pharos.proxy.continuity;

import io.pharos.health.testing.Await;
import io.pharos.proxy.admin.TestJson;
import io.pharos.proxy.testing.ProxyProcess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, must-show 4: a region whose journal cannot take more (at its cap while the peer is
 * unreachable, so nothing is ever confirmed; or on a disk that refuses writes) answers replicated writes
 * 503 + Retry-After, loses none it acknowledged (each is in the journal), and keeps serving reads and
 * routes that are not replicated.
 */
class ContinuityCapIT {
    private static final int MAX_ATTEMPTS = 2_000;
    private static final int REFUSED_AFTER = 20;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void atItsCapTheJournalRefusesReplicatedWritesAndOtherRoutesServe() throws Exception {
        try (Region r = new Region("capped", tmp.resolve("capped"))) {
            r.startApps();
            r.startProxy(r.config(unreachablePeer(), r.token(), "mode = async", "segment-size = 4k, max-bytes = 16k"));
            Set<String> acked = fillUntilRefused(r, "x");
            Await.until(Duration.ofSeconds(10), "refusals counted as journal_full in GET /continuity",
                    () -> TestJson.number(r.continuity(), "writes", "refused", "journal_full") >= REFUSED_AFTER);
            assertEveryAckJournaled(r, acked);
            assertOtherRoutesServe(r);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void onADiskThatRefusesWritesReplicatedWritesAre503AndOtherRoutesServe() throws Exception {
        try (Region r = new Region("diskfull", tmp.resolve("diskfull"))) {
            r.startApps();
            // 32 KiB per file under the proxy (journal and log): the 64 KiB segment can never be filled
            r.startProxyWithFileSizeLimit(32, r.config(unreachablePeer(), r.token(), "mode = async",
                    "segment-size = 64k, max-bytes = 1m"));
            Set<String> acked = fillUntilRefused(r, "x".repeat(1000));
            assertTrue(acked.size() < 33, "writes of 1 KB past 32 KiB were refused: " + acked.size() + " acknowledged");
            Await.until(Duration.ofSeconds(10), "the disk's refusal counted in GET /continuity", () -> {
                Map<String, Object> c = r.continuity();
                return TestJson.number(c, "writes", "refused", "disk") >= 1
                        && TestJson.number(c, "writes", "refused", "disk") + TestJson.number(c, "writes", "refused", "journal_full") >= REFUSED_AFTER;
            });
            assertEveryAckJournaled(r, acked);
            assertOtherRoutesServe(r);
        }
    }

    private static String unreachablePeer() throws Exception {
        return "http://127.0.0.1:" + ProxyProcess.freePort();
    }

    /**
     * Writes {@code POST /kv/c-i} (with {@code Idempotency-Key: c-i}) one after the other until the first 503,
     * then {@value #REFUSED_AFTER} more that must all be 503 with Retry-After; the keys acknowledged.
     */
    private static Set<String> fillUntilRefused(Region r, String body) throws Exception {
        Set<String> acked = new HashSet<>();
        List<String> refused = new ArrayList<>();
        for (int i = 0; i < MAX_ATTEMPTS && refused.size() < REFUSED_AFTER; i++) {
            HttpResponse<String> resp = r.send(r.web(), "POST", "/kv/c-" + i, body, "Idempotency-Key", "c-" + i);
            if (resp.statusCode() / 100 == 2) {
                assertTrue(refused.isEmpty(), "write " + i + " acknowledged after refusals " + refused + " with nothing confirmed");
                acked.add("c-" + i);
            } else {
                assertEquals(503, resp.statusCode(), "write " + i + ": " + resp.body() + "\n" + r.logs());
                assertTrue(resp.headers().firstValue("Retry-After").isPresent(), "503 with Retry-After: " + resp.headers().map());
                refused.add("c-" + i);
            }
        }
        assertEquals(REFUSED_AFTER, refused.size(), "refusals within " + MAX_ATTEMPTS + " writes\n" + r.logs());
        assertTrue(!acked.isEmpty(), "some writes fit before the journal was full");
        return acked;
    }

    private static void assertEveryAckJournaled(Region r, Set<String> acked) {
        Set<String> journaled = new HashSet<>();
        JournalFiles.records(r.journal()).values().forEach(e -> journaled.add(e.idempotencyKey()));
        Set<String> lost = new HashSet<>(acked);
        lost.removeAll(journaled);
        assertTrue(lost.isEmpty(), "acknowledged but not in the journal: " + lost);
    }

    private static void assertOtherRoutesServe(Region r) throws Exception {
        HttpResponse<String> read = r.send(r.web(), "GET", "/kv/c-0", null);
        assertEquals(200, read.statusCode(), "a read on the replicated listener: " + read.body());
        HttpResponse<String> plain = r.send(r.plain(), "POST", "/kv/plain-1", "p");
        assertEquals(2, plain.statusCode() / 100, "a write to a cluster that is not replicated: " + plain.body());
        HttpResponse<String> dump = r.send(r.plain(), "GET", "/kv", null);
        assertEquals(200, dump.statusCode(), dump.body());
    }
}
