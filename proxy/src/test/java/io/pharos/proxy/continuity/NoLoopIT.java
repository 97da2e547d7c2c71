package io.pharos.proxy.continuity;

import io.pharos.proxy.demo.KvStoreDump;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, must-show 5: both regions replicate to each other (async, each the other's peer). Writes at
 * one are applied at the other and are not journaled there again (no loop), both ways; a client's forged
 * {@code Pharos-Replay} header on the public listener does not pass for a replay: the write is journaled
 * and the header does not reach the app.
 */
class NoLoopIT {
    private static final int WRITES = 50;

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void aReplayedWriteIsNotJournaledAgainEitherWay() throws Exception {
        try (Region a = new Region("east", tmp.resolve("east"));
             Region b = new Region("west", tmp.resolve("west"))) {
            Region.startPair(a, b, "mode = async");

            write(a, "a-", WRITES);
            // journalLast() reads the journal on disk: async answers once the record is durable there, and a
            // replay that looped would be journaled before the applier got its answer and counted it applied
            assertEquals(WRITES, a.journalLast(), "east journaled its own writes");
            b.awaitApplied("east", WRITES, Duration.ofSeconds(60));
            assertEquals(0, b.journalLast(), "west applied east's writes without journaling them");

            write(b, "b-", WRITES);
            assertEquals(WRITES, b.journalLast(), "west journaled its own writes");
            a.awaitApplied("west", WRITES, Duration.ofSeconds(60));
            assertEquals(WRITES, a.journalLast(), "east applied west's writes without journaling them");
            b.awaitApplied("east", WRITES, Duration.ofSeconds(30));
            assertEquals(WRITES, b.journalLast(), "nothing came back to west either");

            HttpResponse<String> forged = a.send(a.web(), "POST", "/kv/forged", "x", "Pharos-Replay", "west/0/1",
                    "Idempotency-Key", "forged-1");
            assertEquals(2, forged.statusCode() / 100, forged.body());
            assertEquals(WRITES + 1, a.journalLast(), "a client's Pharos-Replay does not make a write a replay");
            b.awaitApplied("east", WRITES + 1, Duration.ofSeconds(60));

            Map<String, KvStoreDump.Key> east = Stores.read(a.store());
            Map<String, KvStoreDump.Key> west = Stores.read(b.store());
            assertEquals(2 * WRITES + 1, east.size(), "east: " + east.keySet());
            assertEquals(east.keySet(), west.keySet());
            Stores.assertNothingTwice(east, "east");
            Stores.assertNothingTwice(west, "west");
            assertEquals(List.of(), east.get("forged").replays(), "the forged header was stripped before the app");
            List<String> replay = west.get("forged").replays();
            assertEquals(1, replay.size(), "west: " + replay);
            assertTrue(replay.get(0).startsWith("east/") && replay.get(0).endsWith("/" + (WRITES + 1)), "west replayed east's record: " + replay);
            for (int i = 0; i < WRITES; i++) {
                assertEquals(List.of(), east.get("a-" + i).replays(), "east's own write");
                assertEquals(1, west.get("a-" + i).replays().size(), "west got a-" + i + " as a replay");
                assertEquals(List.of(), west.get("b-" + i).replays(), "west's own write");
                assertEquals(1, east.get("b-" + i).replays().size(), "east got b-" + i + " as a replay");
            }
        }
    }

    private static void write(Region r, String prefix, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            HttpResponse<String> resp = r.send(r.web(), "POST", "/kv/" + prefix + i, "value-" + i);
            assertEquals(2, resp.statusCode() / 100, r.name + " " + prefix + i + ": " + resp.statusCode() + " " + resp.body());
        }
    }
}
