package io.pharos.proxy.demo;

import io.pharos.health.testing.Await;
import io.pharos.proxy.testing.ProxyProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two {@link KvApp} processes over one store directory, as a region runs them: writes alternated between
 * them are seen by both, an Idempotency-Key is applied once whichever instance gets it, and a
 * {@code kill -9} of one instance in the middle of a stream of writes loses no answered write, while
 * the survivor keeps serving, takes over the dead instance's keys and cuts a torn tail.
 */
class KvAppIT {
    private static final int WRITERS = 4;
    private static final int WRITES_PER_WRITER = 150;
    private static final int KILL_AFTER_ACKS = 150;
    private static final Pattern LISTENING = Pattern.compile("kv \\S+ listening on [^\\s:]+:(\\d+)");

    @TempDir
    Path dir;

    private final KvClient client = new KvClient();
    private final List<ProxyProcess> processes = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        client.close();
        for (ProxyProcess p : processes) {
            p.close();
        }
    }

    /** One instance: a JVM running {@code KvApp --listen 127.0.0.1:0 --store DIR --name NAME}. */
    private record Instance(ProxyProcess process, int port) {
    }

    private Instance start(String name) throws Exception {
        ProxyProcess p = ProxyProcess.startMain(KvApp.class.getName(), List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx128m"),
                "--listen", "127.0.0.1:0", "--store", dir.toString(), "--name", name);
        processes.add(p);
        String out = Await.value(Duration.ofSeconds(60), "kv " + name + " to listen", () -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("kv " + name + " exited:\n" + p.output());
            }
            return p.output();
        }, o -> LISTENING.matcher(o).find());
        Matcher m = LISTENING.matcher(out);
        assertTrue(m.find());
        return new Instance(p, Integer.parseInt(m.group(1)));
    }

    private HttpResponse<String> send(Instance i, String method, String path, String body, String... headers) throws Exception {
        return client.send(i.port(), method, path, body, headers);
    }

    @Test
    void writesAlternatedBetweenTwoProcessesAreSeenByBothAndSigtermExitsCleanly() throws Exception {
        Instance a = start("a");
        Instance b = start("b");
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            Instance first = i % 2 == 0 ? a : b;
            Instance second = i % 2 == 0 ? b : a;
            assertEquals(i == 0 ? 201 : 200, send(first, "POST", "/kv/list", "item-" + i).statusCode());
            assertEquals(201, send(second, "PUT", "/kv/k-" + i, "value-" + i).statusCode());
            items.add("\"item-" + i + "\"");
        }
        String expected = "{\"key\":\"list\",\"version\":60,\"encoding\":\"utf8\",\"values\":[" + String.join(",", items) + "]}";
        assertEquals(expected, send(a, "GET", "/kv/list", null).body());
        assertEquals(expected, send(b, "GET", "/kv/list", null).body());
        assertEquals(send(a, "GET", "/kv", null).body().replace("{\"instance\":\"a\"", ""),
                send(b, "GET", "/kv", null).body().replace("{\"instance\":\"b\"", ""));
        Map<String, KvStoreDump.Key> dump = KvStoreDump.read(dir);
        assertEquals(61, dump.size());
        assertEquals(List.of("value-59"), dump.get("k-59").utf8Values());

        a.process().signal("TERM");
        assertEquals(0, a.process().waitFor(Duration.ofSeconds(30)), a.process().output());
        assertEquals(200, send(b, "GET", "/kv/k-0", null).statusCode());
        try (var owners = Files.list(dir.resolve(KvOwners.DIR))) {
            assertEquals(1, owners.count(), "a stopped instance removes its owner file");
        }
    }

    @Test
    void anIdempotencyKeySentToBothProcessesIsAppliedOnce() throws Exception {
        Instance a = start("a");
        Instance b = start("b");
        HttpResponse<String> first = send(a, "POST", "/kv/orders", "order-1", "Idempotency-Key", "k-1");
        HttpResponse<String> again = send(b, "POST", "/kv/orders", "order-1", "Idempotency-Key", "k-1");
        assertEquals(201, first.statusCode());
        assertEquals(201, again.statusCode());
        assertEquals("true", again.headers().firstValue("Idempotent-Replayed").orElse(null));
        assertEquals(first.body(), again.body());
        assertEquals(422, send(a, "POST", "/kv/orders", "order-2", "Idempotency-Key", "k-1").statusCode());
        assertEquals(List.of("order-1"), KvStoreDump.read(dir).get("orders").utf8Values());
        assertEquals(List.of("k-1"), KvStoreDump.read(dir).get("orders").idempotencyKeys());
    }

    @Test
    void aKill9MidStreamLosesNoAnsweredWriteAndTheSurvivorRepairsTheStore() throws Exception {
        Instance a = start("a");
        Instance b = start("b");
        AtomicInteger acks = new AtomicInteger();
        AtomicInteger failedOnA = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
        try {
            List<Future<List<String>>> streams = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                String key = "stream-" + w;
                streams.add(writers.submit(() -> stream(key, a, b, acks, failedOnA)));
            }
            Await.until(Duration.ofSeconds(120), KILL_AFTER_ACKS + " answered writes", () -> acks.get() >= KILL_AFTER_ACKS);
            a.process().signal("KILL");
            assertEquals(137, a.process().waitFor(Duration.ofSeconds(30)));
            tearTheTail();

            for (int w = 0; w < WRITERS; w++) {
                List<String> answered = streams.get(w).get(5, TimeUnit.MINUTES);
                String key = "stream-" + w;
                // every answered write exactly once, in the order it was answered; nothing else
                KvStoreDump.Key onDisk = KvStoreDump.read(dir).get(key);
                assertEquals(answered, onDisk.utf8Values(), key);
                assertEquals(answered, onDisk.idempotencyKeys(), key);
                String survivor = send(b, "GET", "/kv/" + key, null).body();
                assertTrue(survivor.contains("\"version\":" + WRITES_PER_WRITER + ","), survivor);
            }
        } finally {
            writers.shutdownNow();
        }
        assertEquals(WRITERS * WRITES_PER_WRITER, acks.get());
        assertTrue(failedOnA.get() > 0, "the kill came in the middle of the stream");
        assertFalse(KvLog.scan(dir).torn(), "the survivor cut the torn tail");
        assertEquals(201, send(b, "PUT", "/kv/after", "still serving").statusCode());
    }

    /**
     * One writer's stream: appends {@code WRITES_PER_WRITER} items to {@code key}, each with its own
     * Idempotency-Key, every other one to {@code a} while it answers; a write {@code a} did not answer goes
     * to {@code b} with the same key (it may have been applied: the key makes the retry safe), and
     * {@code b}'s 409 (the dead instance may still seem to hold the key for a moment) is retried.
     */
    private List<String> stream(String key, Instance a, Instance b, AtomicInteger acks, AtomicInteger failedOnA) throws Exception {
        List<String> answered = new ArrayList<>();
        boolean aGone = false;
        for (int i = 0; i < WRITES_PER_WRITER; i++) {
            String item = key + "-" + i;
            HttpResponse<String> r = null;
            if (!aGone && i % 2 == 0) {
                try {
                    r = send(a, "POST", "/kv/" + key, item, "Idempotency-Key", item);
                } catch (IOException e) {
                    aGone = true;
                    failedOnA.incrementAndGet();
                }
            }
            if (r == null) {
                r = Await.value(Duration.ofSeconds(30), "an answer other than 409 to " + item,
                        () -> send(b, "POST", "/kv/" + key, item, "Idempotency-Key", item), x -> x.statusCode() != 409);
            }
            assertTrue(r.statusCode() == 200 || r.statusCode() == 201, item + ": " + r.statusCode() + " " + r.body());
            answered.add(item);
            acks.incrementAndGet();
        }
        return answered;
    }

    /** What a writer killed in the middle of a frame leaves: a header announcing more bytes than follow. */
    private void tearTheTail() throws IOException {
        try (KvLog log = KvLog.open(dir); KvLog.Held held = log.lock();
             FileChannel ch = FileChannel.open(dir.resolve(KvLog.LOG_FILE), StandardOpenOption.WRITE)) {
            ByteBuffer torn = ByteBuffer.allocate(KvLog.HEADER_BYTES + 10).putInt(1000).putInt(0x12345678).put(new byte[10]).flip();
            ch.write(torn, ch.size());
        }
    }
}
