package io.pharos.gtm;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The admin handler on an {@link EmbeddedChannel}: routing, token, status codes, JSON errors in the
 * proxy admin's shape ({@code io.pharos.health.admin}), pipelined requests answered in order.
 */
class GtmAdminServerTest {
    private static final String TOKEN = "0123456789abcdef-token";

    /** Answers like a sidecar whose only other region is "secondary". */
    private static final class FakeActions implements AdminActions {
        /** What statusJson answers; a test may swap in one that completes later. Written by the test thread. */
        CompletableFuture<String> status = CompletableFuture.completedFuture("{\"active\":\"primary\"}");

        @Override
        public CompletableFuture<String> statusJson() {
            return status;
        }

        @Override
        public CompletableFuture<String> metricsText() {
            return CompletableFuture.completedFuture("pharos_gtm_alert 0\n");
        }

        /** What healthz answers. Written by the test thread. */
        Health health = new Health(true, "ok\n");

        @Override
        public CompletableFuture<Health> healthz() {
            return CompletableFuture.completedFuture(health);
        }

        @Override
        public CompletableFuture<Decision> failover(String toRegion, Optional<Duration> hold) {
            if (!toRegion.equals("secondary")) {
                return CompletableFuture.failedFuture(new FailoverDecider.RefusedException(400, "unknown region '" + toRegion + "'"));
            }
            Hold h = hold.map(d -> new Hold(1_000 + d.toMillis())).orElse(Hold.UNTIL_FAILBACK);
            return CompletableFuture.completedFuture(new Decision(Decision.Kind.SWITCH, Decision.Cause.MANUAL_FAILOVER,
                    "primary", "secondary", "manual failover requested", Optional.of(h), 1_000));
        }

        @Override
        public CompletableFuture<Decision> failback() {
            return CompletableFuture.failedFuture(new FailoverDecider.RefusedException(409, "primary is already active"));
        }
    }

    private static FullHttpResponse call(Optional<String> token, HttpMethod method, String uri, String authorization) {
        return call(new FakeActions(), token, method, uri, authorization);
    }

    private static FullHttpResponse call(FakeActions actions, Optional<String> token, HttpMethod method, String uri, String authorization) {
        EmbeddedChannel ch = new EmbeddedChannel(new GtmAdminServer.AdminHandler(actions, token));
        try {
            DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri);
            if (authorization != null) {
                req.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
            }
            ch.writeInbound(req);
            ch.runPendingTasks();
            FullHttpResponse res = ch.readOutbound();
            assertNotNull(res, "a response");
            FullHttpResponse copy = res.retainedDuplicate();
            res.release();
            return copy;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** The proxy admin's error body. */
    private static String error(String reason, int status, String message) {
        return "{\"error\":\"" + reason + "\",\"status\":" + status + ",\"message\":\"" + message + "\"}\n";
    }

    private static String body(FullHttpResponse res) {
        try {
            return res.content().toString(StandardCharsets.UTF_8);
        } finally {
            res.release();
        }
    }

    @Test
    void withoutTokenConfiguredEverythingIsOpen() {
        FullHttpResponse res = call(Optional.empty(), HttpMethod.GET, "/status", null);
        assertEquals(200, res.status().code());
        assertEquals("application/json; charset=utf-8", res.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("{\"active\":\"primary\"}\n", body(res));
        FullHttpResponse metrics = call(Optional.empty(), HttpMethod.GET, "/metrics", null);
        assertTrue(metrics.headers().get(HttpHeaderNames.CONTENT_TYPE).startsWith("text/plain; version=0.0.4"));
        assertEquals("pharos_gtm_alert 0\n", body(metrics));
    }

    @Test
    void tokenIsRequiredAndCheckedExactly() {
        FullHttpResponse none = call(Optional.of(TOKEN), HttpMethod.GET, "/status", null);
        assertEquals(401, none.status().code());
        assertEquals("Bearer", none.headers().get(HttpHeaderNames.WWW_AUTHENTICATE));
        assertEquals(error("Unauthorized", 401, "missing or wrong bearer token"), body(none));
        FullHttpResponse prefix = call(Optional.of(TOKEN), HttpMethod.GET, "/status", "Bearer " + TOKEN.substring(0, 10));
        assertEquals(401, prefix.status().code());
        body(prefix);
        FullHttpResponse basic = call(Optional.of(TOKEN), HttpMethod.GET, "/status", "Basic " + TOKEN);
        assertEquals(401, basic.status().code());
        body(basic);
        FullHttpResponse ok = call(Optional.of(TOKEN), HttpMethod.GET, "/status", "Bearer " + TOKEN);
        assertEquals(200, ok.status().code());
        body(ok);
    }

    @Test
    void commandsAnswer202OrTheRefusalStatusWithJson() {
        FullHttpResponse ok = call(Optional.empty(), HttpMethod.POST, "/failover?to=secondary", null);
        assertEquals(202, ok.status().code());
        assertEquals("{\"accepted\":true,\"from\":\"primary\",\"to\":\"secondary\",\"cause\":\"manual-failover\","
                + "\"reason\":\"manual failover requested\",\"hold\":\"failback\"}\n", body(ok));
        FullHttpResponse unknown = call(Optional.empty(), HttpMethod.POST, "/failover?to=mars", null);
        assertEquals(400, unknown.status().code());
        assertEquals(error("Bad Request", 400, "unknown region 'mars'"), body(unknown));
        FullHttpResponse missing = call(Optional.empty(), HttpMethod.POST, "/failover?to=a&to=b", null);
        assertEquals(400, missing.status().code());
        assertEquals(error("Bad Request", 400, "expected exactly one query parameter to=REGION"), body(missing));
        FullHttpResponse refused = call(Optional.empty(), HttpMethod.POST, "/failback", null);
        assertEquals(409, refused.status().code());
        assertEquals(error("Conflict", 409, "primary is already active"), body(refused));
    }

    @Test
    void failoverTakesAHoldWithAUnitAndRefusesOtherwise() {
        FullHttpResponse held = call(Optional.empty(), HttpMethod.POST, "/failover?to=secondary&hold=30m", null);
        assertEquals(202, held.status().code());
        assertTrue(body(held).contains("\"hold\":\"PT30M\""));
        for (String bad : List.of("30", "0s", "-5m", "soon", "")) {
            FullHttpResponse refused = call(Optional.empty(), HttpMethod.POST, "/failover?to=secondary&hold=" + bad, null);
            assertEquals(400, refused.status().code(), bad);
            assertEquals(error("Bad Request", 400, "hold: '" + bad + "' (expected: a positive duration with a unit: ms, s, m, h or d, e.g. 30m)"),
                    body(refused));
        }
        FullHttpResponse twice = call(Optional.empty(), HttpMethod.POST, "/failover?to=secondary&hold=1m&hold=2m", null);
        assertEquals(400, twice.status().code());
        assertEquals(error("Bad Request", 400, "expected at most one query parameter hold=DURATION"), body(twice));
    }

    @Test
    void healthzIs200OrA503WithTheReasonAsText() {
        FakeActions actions = new FakeActions();
        FullHttpResponse ok = call(actions, Optional.empty(), HttpMethod.GET, "/healthz", null);
        assertEquals(200, ok.status().code());
        assertEquals("text/plain; charset=utf-8", ok.headers().get(HttpHeaderNames.CONTENT_TYPE));
        assertEquals("ok\n", body(ok));
        actions.health = new AdminActions.Health(false, "127.0.0.1:53: TSIG key check REJECTED\n");
        FullHttpResponse down = call(actions, Optional.empty(), HttpMethod.GET, "/healthz", null);
        assertEquals(503, down.status().code());
        assertEquals("127.0.0.1:53: TSIG key check REJECTED\n", body(down));
        assertEquals(405, call(actions, Optional.empty(), HttpMethod.POST, "/healthz", null).status().code());
    }

    @Test
    void wrongMethodAndUnknownPathAre4xxJson() {
        FullHttpResponse get = call(Optional.empty(), HttpMethod.GET, "/failback", null);
        assertEquals(405, get.status().code());
        assertEquals(error("Method Not Allowed", 405, "method GET not allowed here (allowed: POST)"), body(get));
        FullHttpResponse nope = call(Optional.empty(), HttpMethod.GET, "/clusters", null);
        assertEquals(404, nope.status().code());
        assertEquals(error("Not Found", 404, "no such resource: /clusters"), body(nope));
    }

    @Test
    void keepAliveRequestsAreAnsweredInOrderEvenWhenTheFirstWaits() {
        FakeActions actions = new FakeActions();
        CompletableFuture<String> slowStatus = new CompletableFuture<>();
        actions.status = slowStatus;
        EmbeddedChannel ch = new EmbeddedChannel(new GtmAdminServer.AdminHandler(actions, Optional.empty()));
        try {
            ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/status"));
            ch.writeInbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/metrics"));
            ch.runPendingTasks();
            assertNull(ch.readOutbound(), "/metrics is ready but waits for /status");
            slowStatus.complete("{\"active\":\"secondary\"}");
            ch.runPendingTasks();
            FullHttpResponse first = ch.readOutbound();
            FullHttpResponse second = ch.readOutbound();
            assertEquals("{\"active\":\"secondary\"}\n", body(first));
            assertEquals("pharos_gtm_alert 0\n", body(second));
            assertTrue(ch.isOpen(), "keep-alive: the connection stays open");
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
