package io.pharos.proxy.demo;

import io.pharos.proxy.demo.KvStore.Outcome.Kind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shared store and the Idempotency-Key rules, with two instances over one directory in this JVM. */
class KvStoreTest {
    private static final Duration TTL = Duration.ofHours(24);

    @TempDir
    Path dir;

    private final AtomicLong now = new AtomicLong(1_700_000_000_000L);
    private final List<KvStore> opened = new ArrayList<>();

    @AfterEach
    void closeStores() throws IOException {
        for (KvStore s : opened) {
            s.close();
        }
    }

    private KvStore open(String name) throws IOException {
        KvStore s = KvStore.open(dir, name, now::get, TTL);
        opened.add(s);
        return s;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvStore.Outcome put(KvStore s, String key, String value, String idem) throws IOException {
        return s.write(KvEntry.Op.PUT, key, utf8(value), idem, idem == null ? null : "PUT /kv/" + key + " " + value, null);
    }

    private static KvStore.Outcome append(KvStore s, String key, String value, String idem) throws IOException {
        return s.write(KvEntry.Op.APPEND, key, utf8(value), idem, idem == null ? null : "POST /kv/" + key + " " + value, null);
    }

    @Test
    void versionsCountWritesAndADeletedKeyKeepsItsHistory() throws IOException {
        KvStore a = open("a");
        KvEntry.Response created = put(a, "k", "v1", null).response();
        assertEquals(201, created.status());
        assertEquals("\"1\"", created.etag());
        assertEquals("/kv/k", created.location());
        assertEquals("{\"key\":\"k\",\"version\":1}", new String(created.body(), StandardCharsets.UTF_8));
        KvEntry.Response replaced = put(a, "k", "v2", null).response();
        assertEquals(200, replaced.status());
        assertNull(replaced.location());
        assertEquals("\"3\"", append(a, "k", "v3", null).response().etag());
        assertEquals(List.of("v2", "v3"), a.get("k").utf8Values());

        assertEquals(204, a.write(KvEntry.Op.DELETE, "k", null, null, null, null).response().status());
        assertNull(a.get("k"));
        assertEquals(404, a.write(KvEntry.Op.DELETE, "k", null, null, null, null).response().status());
        KvStoreDump.Key tombstone = a.dump().get("k");
        assertTrue(tombstone.deleted());
        assertEquals(4, tombstone.version());
        assertEquals(List.of(), tombstone.values());
        KvEntry.Response again = append(a, "k", "v5", null).response();
        assertEquals(201, again.status());
        assertEquals("\"5\"", again.etag());
        assertEquals(List.of("v5"), a.get("k").utf8Values());
        assertEquals("/kv/a%20b%3F", put(a, "a b?", "x", null).response().location());
    }

    @Test
    void instancesSeeEachOthersWritesAndAReopenedStoreHasThemAll() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            append(i % 2 == 0 ? a : b, "list", "item-" + i, null);
            expected.add("item-" + i);
        }
        assertEquals(expected, a.get("list").utf8Values());
        assertEquals(expected, b.get("list").utf8Values());
        assertEquals(20, b.get("list").version());
        assertEquals(expected, open("c").get("list").utf8Values());
        assertEquals(expected, KvStoreDump.read(dir).get("list").utf8Values());
    }

    @Test
    void theSameKeyAndRequestOnAnotherInstanceGetsTheKeptAnswerAndAppliesNothing() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        KvStore.Outcome first = append(a, "list", "x", "idem-1");
        KvStore.Outcome second = append(b, "list", "x", "idem-1");
        assertEquals(Kind.APPLIED, first.kind());
        assertEquals(Kind.REPLAYED, second.kind());
        assertSameResponse(first.response(), second.response());
        // the kept answer stays the one given, even after the key moved on
        append(a, "list", "y", null);
        assertSameResponse(first.response(), append(b, "list", "x", "idem-1").response());
        KvStoreDump.Key list = KvStoreDump.read(dir).get("list");
        assertEquals(List.of("x", "y"), list.utf8Values());
        assertEquals(List.of("idem-1"), list.idempotencyKeys());
    }

    @Test
    void theSameKeyForAnotherRequestIsAMismatch() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        append(a, "list", "x", "idem-1");
        assertEquals(Kind.MISMATCH, append(b, "list", "other body", "idem-1").kind());
        assertEquals(Kind.MISMATCH, put(b, "list", "x", "idem-1").kind());
        assertEquals(List.of("x"), a.get("list").utf8Values());
    }

    @Test
    void aKeyHeldByARequestInFlightIsAConflictUntilAnswered() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        String fp = "POST /kv/list x";
        assertNull(a.claim("idem-1", fp));
        assertEquals(Kind.IN_FLIGHT, append(b, "list", "x", "idem-1").kind());
        assertEquals(Kind.IN_FLIGHT, append(a, "list", "x", "idem-1").kind(), "the holder's own instance");
        assertEquals(Kind.MISMATCH, append(b, "list", "z", "idem-1").kind(), "another body");
        assertNull(a.get("list"));

        KvEntry.Response r = a.apply(KvEntry.Op.APPEND, "list", utf8("x"), "idem-1", fp, null);
        assertEquals(201, r.status());
        KvStore.Outcome after = append(b, "list", "x", "idem-1");
        assertEquals(Kind.REPLAYED, after.kind());
        assertSameResponse(r, after.response());
        assertEquals(List.of("x"), b.get("list").utf8Values());
    }

    @Test
    void aReleasedKeyIsFreeAgain() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        assertNull(a.claim("idem-1", "POST /kv/list x"));
        a.release("idem-1");
        assertEquals(Kind.APPLIED, append(b, "list", "x", "idem-1").kind());
    }

    @Test
    void onlyTheHolderMayCompleteAKey() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        assertNull(a.claim("idem-1", "fp"));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> b.apply(KvEntry.Op.PUT, "k", utf8("v"), "idem-1", "fp", null));
        assertTrue(e.getMessage().contains("idem-1"), e.getMessage());
        assertNull(b.get("k"));
    }

    @Test
    void aKeyHeldByADeadInstanceIsTakenOver() throws IOException {
        KvStore a = open("a");
        // one owner whose file is gone, one whose file nobody locks (its process died)
        Path ghost = dir.resolve(KvOwners.DIR).resolve("ghost-2.lock");
        Files.createFile(ghost);
        appendRaw(new KvEntry.Reserve(now.get(), "idem-1", "POST /kv/list x", "ghost-1"));
        appendRaw(new KvEntry.Reserve(now.get(), "idem-2", "POST /kv/list y", "ghost-2"));
        assertEquals(Kind.APPLIED, append(a, "list", "x", "idem-1").kind());
        assertEquals(Kind.APPLIED, append(a, "list", "y", "idem-2").kind());
        assertFalse(Files.exists(ghost), "the dead owner's file is cleaned up");
        assertEquals(List.of("idem-1", "idem-2"), a.get("list").idempotencyKeys());
    }

    @Test
    void anAnsweredKeyExpiresAfterTheTtl() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        assertEquals(Kind.APPLIED, append(a, "list", "x", "idem-1").kind());
        now.addAndGet(TTL.toMillis() - 1);
        assertEquals(Kind.REPLAYED, append(b, "list", "x", "idem-1").kind());
        now.addAndGet(1);
        assertEquals(Kind.APPLIED, append(b, "list", "x", "idem-1").kind(), "expired: a new request");
        assertEquals(Kind.MISMATCH, append(a, "list", "other", "idem-1").kind(), "and kept again from then on");
        assertEquals(List.of("x", "x"), a.get("list").utf8Values());
    }

    @Test
    void aTornTailIsLeftOutByReadersAndCutByTheNextWriter() throws IOException {
        KvStore a = open("a");
        KvStore b = open("b");
        append(a, "list", "x", "idem-1");
        long complete = Files.size(log());
        byte[] frame = frame(new KvEntry.Write(now.get(), KvEntry.Op.APPEND, "list", utf8("torn"),
                new KvEntry.Response(200, "\"2\"", null, utf8("{}")), null, null, null));
        Files.write(log(), Arrays.copyOf(frame, frame.length - 3), StandardOpenOption.APPEND);

        assertEquals(List.of("x"), KvStoreDump.read(dir).get("list").utf8Values());
        assertTrue(KvLog.scan(dir).torn());
        assertEquals(List.of("x"), b.get("list").utf8Values());
        assertEquals(complete, Files.size(log()), "cut by the first instance to take the lock");
        append(b, "list", "y", null);
        assertEquals(List.of("x", "y"), a.get("list").utf8Values());
        assertFalse(KvLog.scan(dir).torn());
    }

    @Test
    void aFrameFailingItsChecksumEndsTheLog() throws IOException {
        KvStore a = open("a");
        append(a, "list", "x", null);
        byte[] frame = frame(new KvEntry.Write(now.get(), KvEntry.Op.APPEND, "list", utf8("flipped"),
                new KvEntry.Response(200, "\"2\"", null, utf8("{}")), null, null, null));
        frame[frame.length - 1] ^= 1;
        Files.write(log(), frame, StandardOpenOption.APPEND);
        assertEquals(List.of("x"), KvStoreDump.read(dir).get("list").utf8Values());
        append(open("b"), "list", "y", null);
        assertEquals(List.of("x", "y"), KvStoreDump.read(dir).get("list").utf8Values());
        assertFalse(KvLog.scan(dir).torn());
    }

    @Test
    void aDumpOfNoStoreIsEmpty() throws IOException {
        assertEquals(Map.of(), KvStoreDump.read(dir.resolve("none")));
    }

    @Test
    void entriesSurviveTheirCodec() throws IOException {
        KvEntry.Write w = new KvEntry.Write(5, KvEntry.Op.DELETE, "k", null, new KvEntry.Response(404, null, null, utf8("{}")),
                "idem", "fp", "primary/3/17");
        KvEntry.Write back = (KvEntry.Write) KvEntry.decode(KvEntry.encode(w));
        assertEquals(List.of(5L, KvEntry.Op.DELETE, "k", "idem", "fp", "primary/3/17"),
                List.of(back.timeMillis(), back.op(), back.key(), back.idempotencyKey(), back.fingerprint(), back.replay()));
        assertNull(back.value());
        assertSameResponse(w.response(), back.response());
        KvEntry.Reserve r = new KvEntry.Reserve(7, "idem", "fp", "a-1");
        assertEquals(r, KvEntry.decode(KvEntry.encode(r)));
        KvEntry.Release l = new KvEntry.Release("idem", "a-1");
        assertEquals(l, KvEntry.decode(KvEntry.encode(l)));
        assertThrows(IOException.class, () -> KvEntry.decode(new byte[] {'X'}));
        assertThrows(IOException.class, () -> KvEntry.decode(Arrays.copyOf(KvEntry.encode(r), 10)));
    }

    private static void assertSameResponse(KvEntry.Response expected, KvEntry.Response actual) {
        assertEquals(expected.status(), actual.status());
        assertEquals(expected.etag(), actual.etag());
        assertEquals(expected.location(), actual.location());
        assertArrayEquals(expected.body(), actual.body());
    }

    private Path log() {
        return dir.resolve(KvLog.LOG_FILE);
    }

    /** Appends {@code e} as its own process would, under the store's lock. */
    private void appendRaw(KvEntry e) throws IOException {
        try (KvLog log = KvLog.open(dir); KvLog.Held held = log.lock()) {
            log.append(log.read(0).end(), KvEntry.encode(e), true);
        }
    }

    /** The frame {@link KvLog} would write for {@code e}. */
    private byte[] frame(KvEntry e) throws IOException {
        Path other = Files.createTempDirectory(dir, "frame");
        try (KvLog log = KvLog.open(other); KvLog.Held held = log.lock()) {
            log.append(0, KvEntry.encode(e), false);
        }
        return Files.readAllBytes(other.resolve(KvLog.LOG_FILE));
    }
}
