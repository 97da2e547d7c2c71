package io.pharos.proxy.demo;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HTTP contract of docs/kv-app.md, on two embedded instances over one store, over real loopback sockets. */
class KvAppTest {
    @TempDir
    Path dir;

    private KvApp a;
    private KvApp b;
    private final KvClient client = new KvClient();

    @BeforeEach
    void start() throws IOException {
        a = KvApp.start(new InetSocketAddress("127.0.0.1", 0), dir, "a");
        b = KvApp.start(new InetSocketAddress("127.0.0.1", 0), dir, "b");
    }

    @AfterEach
    void stop() {
        client.close();
        a.close();
        b.close();
    }

    private HttpResponse<String> send(KvApp app, String method, String path, String body, String... headers) throws Exception {
        return client.send(app.port(), method, path, body, headers);
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    @Test
    void putPostGetDeleteAnswerAsDocumented() throws Exception {
        HttpResponse<String> created = send(a, "PUT", "/kv/greeting", "hello");
        assertEquals(201, created.statusCode());
        assertEquals("\"1\"", header(created, "ETag"));
        assertEquals("/kv/greeting", header(created, "Location"));
        assertEquals("{\"key\":\"greeting\",\"version\":1}", created.body());
        HttpResponse<String> replaced = send(b, "PUT", "/kv/greeting", "hi");
        assertEquals(200, replaced.statusCode());
        assertEquals("\"2\"", header(replaced, "ETag"));
        assertFalse(replaced.headers().firstValue("Location").isPresent());

        assertEquals(201, send(b, "POST", "/kv/list", "one").statusCode());
        HttpResponse<String> appended = send(a, "POST", "/kv/list", "two");
        assertEquals(200, appended.statusCode());
        assertEquals("\"2\"", header(appended, "ETag"));
        HttpResponse<String> list = send(b, "GET", "/kv/list", null);
        assertEquals(200, list.statusCode());
        assertEquals("\"2\"", header(list, "ETag"));
        assertEquals("{\"key\":\"list\",\"version\":2,\"encoding\":\"utf8\",\"values\":[\"one\",\"two\"]}", list.body());

        assertEquals(204, send(a, "DELETE", "/kv/list", null).statusCode());
        assertEquals(404, send(b, "GET", "/kv/list", null).statusCode());
        HttpResponse<String> gone = send(b, "DELETE", "/kv/list", null);
        assertEquals(404, gone.statusCode());
        assertEquals("application/problem+json", header(gone, "Content-Type"));
        assertEquals("ok\n", send(a, "GET", "/healthz", null).body());
    }

    @Test
    void aRetryOnAnotherInstanceIsAnsweredAgainAndAppliedOnce() throws Exception {
        HttpResponse<String> first = send(a, "POST", "/kv/orders", "order-1", "Idempotency-Key", "\"8e03978e-40d5\"",
                "Pharos-Replay", "primary/1/7");
        HttpResponse<String> retry = send(b, "POST", "/kv/orders", "order-1", "Idempotency-Key", "8e03978e-40d5",
                "Pharos-Replay", "primary/1/7");
        assertEquals(201, first.statusCode());
        assertFalse(first.headers().firstValue("Idempotent-Replayed").isPresent());
        assertEquals(201, retry.statusCode(), "the kept status, not a new one");
        assertEquals("true", header(retry, "Idempotent-Replayed"));
        assertEquals(header(first, "ETag"), header(retry, "ETag"));
        assertEquals(header(first, "Location"), header(retry, "Location"));
        assertEquals(first.body(), retry.body());

        HttpResponse<String> reused = send(b, "POST", "/kv/orders", "order-2", "Idempotency-Key", "8e03978e-40d5");
        assertEquals(422, reused.statusCode());
        assertEquals("application/problem+json", header(reused, "Content-Type"));
        assertTrue(reused.body().contains("\"status\":422"), reused.body());
        assertEquals(422, send(b, "PUT", "/kv/orders", "order-1", "Idempotency-Key", "8e03978e-40d5").statusCode(),
                "another method is another request");

        String dump = send(a, "GET", "/kv", null).body();
        assertEquals("{\"instance\":\"a\",\"keys\":{\"orders\":{\"deleted\":false,\"version\":1,\"encoding\":\"utf8\","
                + "\"values\":[\"order-1\"],\"idempotencyKeys\":[\"8e03978e-40d5\"],\"replays\":[\"primary/1/7\"]}}}", dump);
        KvStoreDump.Key orders = KvStoreDump.read(dir).get("orders");
        assertEquals(List.of("order-1"), orders.utf8Values());
        assertEquals(List.of("8e03978e-40d5"), orders.idempotencyKeys());
        assertEquals(List.of("primary/1/7"), orders.replays());
    }

    @Test
    void badRequestsGetProblems() throws Exception {
        String longKey = "k".repeat(KvApp.MAX_IDEMPOTENCY_KEY_CHARS + 1);
        assertEquals(400, send(a, "POST", "/kv/x", "v", "Idempotency-Key", longKey).statusCode());
        assertEquals(201, send(a, "POST", "/kv/x", "v", "Idempotency-Key", longKey.substring(1)).statusCode(), "255 is allowed");
        assertEquals(400, send(a, "POST", "/kv/x", "v", "Idempotency-Key", "\"\"").statusCode());
        assertEquals(400, send(a, "POST", "/kv/x", "v", "Idempotency-Key", "a", "Idempotency-Key", "b").statusCode());
        assertEquals(400, send(a, "GET", "/kv/%01", null).statusCode());
        assertEquals(404, send(a, "GET", "/elsewhere", null).statusCode());
        HttpResponse<String> patch = send(a, "PATCH", "/kv/x", "v");
        assertEquals(405, patch.statusCode());
        assertEquals("GET, PUT, POST, DELETE", header(patch, "Allow"));
        assertEquals(405, send(a, "POST", "/kv", "v").statusCode());
        assertEquals(405, send(a, "DELETE", "/healthz", null).statusCode());
        assertEquals(Map.of("x", 1L), Map.of("x", KvStoreDump.read(dir).get("x").version()), "nothing else applied");
    }

    @Test
    void binaryValuesAreDumpedAsBase64() throws Exception {
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port() + "/kv/bin"))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0xff, 0, 1})).build();
        assertEquals(201, client.status(r));
        assertTrue(send(b, "GET", "/kv/bin", null).body().contains("\"encoding\":\"base64\",\"values\":[\"/wAB\"]"));
        assertEquals(3, KvStoreDump.read(dir).get("bin").values().get(0).length);
    }

    @Test
    void theCommandLineRefusesBadUsage() throws Exception {
        var err = new java.io.ByteArrayOutputStream();
        var errStream = new java.io.PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(2, KvApp.run(new String[] {"--listen", "127.0.0.1:0"}, System.out, errStream));
        assertEquals(2, KvApp.run(new String[] {"--listen", "127.0.0.1:0", "--store", dir.toString(), "--idempotency-ttl", "soon"},
                System.out, errStream));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("--idempotency-ttl: soon"), err.toString(StandardCharsets.UTF_8));
        assertEquals(Duration.ofHours(24), KvApp.duration("24h"));
        assertEquals(Duration.ofMillis(500), KvApp.duration("500ms"));
        assertThrows(IllegalArgumentException.class, () -> KvApp.duration("0s"));
        assertEquals(new InetSocketAddress("::1", 80), KvApp.address("[::1]:80"));
    }
}
