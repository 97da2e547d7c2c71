package io.pharos.proxy.continuity;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalCursor;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.l7.ExchangeHook;
import io.pharos.proxy.l7.Refusal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The observer and a write's hook against a real journal: which requests replicate, and what their record holds. */
class WriteHookTest {
    @TempDir
    Path dir;
    private Journal journal;
    private final ContinuityObserver observer = new ContinuityObserver();

    @AfterEach
    void close() {
        if (journal != null) {
            journal.close();
        }
    }

    private ClusterConfig cluster(String continuity) throws Exception {
        return ConfigLoader.parse("pharos { listeners = [ { name = w, listen = \"127.0.0.1:0\", cluster = app } ]\n"
                + " continuity { region = zurich, peer { url = \"http://127.0.0.1:1\", token = \"0123456789abcdef\" }, journal { dir = /tmp/x } }\n"
                + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:9001\" } ]\n continuity { " + continuity + " } } } }")
                .clusters().get("app");
    }

    private void run() throws Exception {
        journal = Journal.openFile(dir, JournalSettings.defaults());
        observer.useWrites(new ReplicatedWrites("zurich", 0, journal, null, new ContinuityCounters(), () -> -1L));
    }

    private static HttpRequest request(HttpMethod method, String uri, String... headers) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method, uri);
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static HttpResponse response(int status, String... headers) {
        HttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        for (int i = 0; i < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1]);
        }
        return r;
    }

    private static Refusal body(ExchangeHook hook, String text, boolean last) {
        return hook.onRequestBody(Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8)), last);
    }

    private JournalRecord only() throws Exception {
        try (JournalCursor c = journal.openCursor(0)) {
            JournalRecord r = c.next(Duration.ofSeconds(5));
            assertNotNull(r);
            assertNull(c.poll());
            return r;
        }
    }

    @Test
    void onlyWritesUnderTheConfiguredPathsOfAReplicatingClusterAreHooked() throws Exception {
        run();
        ClusterConfig c = cluster("mode = async, paths = [\"/kv/\"]");
        assertNull(observer.onRequest(c, request(HttpMethod.GET, "/kv/a"), false));
        assertNull(observer.onRequest(c, request(HttpMethod.POST, "/other"), true));
        assertNotNull(observer.onRequest(c, request(HttpMethod.POST, "/kv/a?x=1"), true));
        assertNull(observer.onRequest(cluster("mode = off"), request(HttpMethod.POST, "/kv/a"), true));
        HttpRequest forged = request(HttpMethod.GET, "/kv/a", "Pharos-Replay", "frankfurt/0/7");
        observer.onRequest(c, forged, false);
        assertNull(forged.headers().get("Pharos-Replay"), "a client cannot pass for a replay");
    }

    @Test
    void aWriteTheBackendAcknowledgedIsJournaledWithWhatThePeerNeeds() throws Exception {
        run();
        ClusterConfig c = cluster("mode = async, partition-key = \"header:X-Tenant\", headers = [X-Request-Id]");
        HttpRequest req = request(HttpMethod.PUT, "/kv/a?v=2", "Host", "api.example", "X-Tenant", "t-7",
                "Authorization", "Bearer secret", "Content-Type", "text/plain", "X-Request-Id", "r-1", "Content-Length", "11");
        ExchangeHook hook = observer.onRequest(c, req, true);
        String key = req.headers().get("Idempotency-Key");
        assertNotNull(key, "the backend gets a generated Idempotency-Key");
        assertNull(hook.admit());
        assertNull(body(hook, "hello ", false));
        assertNull(body(hook, "world", true));
        Refusal r = hook.onResponseHead(response(201, "ETag", "\"3\"", "Location", "/kv/a"), null)
                .toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertNull(r, "released once durable");
        JournalRecord rec = only();
        assertEquals("zurich", rec.originRegion());
        assertEquals("app", rec.cluster());
        assertEquals("t-7", rec.partitionKey());
        assertEquals(key, rec.idempotencyKey());
        assertEquals("PUT", rec.method());
        assertEquals("/kv/a?v=2", rec.target());
        assertEquals("hello world", new String(rec.body(), StandardCharsets.UTF_8));
        assertEquals(201, rec.status());
        assertEquals("\"3\"", rec.etag());
        assertEquals("/kv/a", rec.location());
        assertEquals(List.of(new JournalRecord.Header("Host", "api.example"), new JournalRecord.Header("Content-Type", "text/plain"),
                new JournalRecord.Header("X-Request-Id", "r-1")), rec.headers(), "the allow-list, never Authorization");
    }

    @Test
    void theClientsIdempotencyKeyIsKeptAndAFailedWriteIsNotJournaled() throws Exception {
        run();
        ClusterConfig c = cluster("mode = async");
        HttpRequest req = request(HttpMethod.POST, "/orders", "Idempotency-Key", "client-1");
        ExchangeHook hook = observer.onRequest(c, req, false);
        assertEquals("client-1", req.headers().get("Idempotency-Key"));
        assertNull(hook.onResponseHead(response(500), null), "not applied: nothing to replicate, nothing held");
        assertEquals(0, journal.lastSequence());
    }

    @Test
    void aBodyOverMaxBodyIsRefusedUpFrontOrMidway() throws Exception {
        run();
        ClusterConfig c = cluster("mode = async, max-body = 10b");
        ExchangeHook declared = observer.onRequest(c, request(HttpMethod.POST, "/a", "Content-Length", "11"), true);
        assertEquals(413, declared.admit().status().code());
        ExchangeHook chunked = observer.onRequest(c, request(HttpMethod.POST, "/a", "Transfer-Encoding", "chunked"), true);
        assertNull(chunked.admit());
        assertNull(body(chunked, "123456", false));
        assertEquals(413, body(chunked, "78901", false).status().code());
    }

    @Test
    void anAnswerBeforeTheWholeBodyIsNotReplicated() throws Exception {
        run();
        ExchangeHook hook = observer.onRequest(cluster("mode = async"), request(HttpMethod.POST, "/a"), true);
        assertNull(body(hook, "half", false));
        Refusal r = hook.onResponseHead(response(200), null).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertEquals(503, r.status().code());
        assertTrue(r.reason().contains("before the whole request body"), r.reason());
        assertEquals(0, journal.lastSequence());
    }

    @Test
    void withoutARunningContinuityReplicatedWritesAreRefused() throws Exception {
        ExchangeHook hook = observer.onRequest(cluster("mode = async"), request(HttpMethod.POST, "/a"), false);
        assertEquals(503, hook.admit().status().code());
    }
}
