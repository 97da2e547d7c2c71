package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.pharos.proxy.cluster.Backend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the listener's {@link ExchangeObserver} is told of each exchange, on an embedded pipeline with hand-driven backends. */
class ExchangeObserverTest {
    private EmbeddedProxy proxy;

    /** Writes down every call as one line. */
    private static final class Recorder implements ExchangeObserver {
        final List<String> calls = new ArrayList<>();
        final boolean wantsBody;

        Recorder(boolean wantsBody) {
            this.wantsBody = wantsBody;
        }

        @Override
        public boolean observesRequestBody(HttpRequest request) {
            return wantsBody;
        }

        @Override
        public void onRequestBody(HttpRequest request, ByteBuf content, boolean last) {
            calls.add("body " + request.uri() + " [" + content.toString(StandardCharsets.US_ASCII) + "]" + (last ? " last" : ""));
        }

        @Override
        public void onResponseHead(HttpRequest request, HttpResponse response, Backend backend) {
            calls.add("head " + (request == null ? "-" : request.method() + " " + request.uri() + " " + request.protocolVersion()
                    + " xff=" + request.headers().get("x-forwarded-for")) + " -> " + response.status().code()
                    + " from " + (backend == null ? "proxy" : backend.name()));
        }

        @Override
        public void onExchangeEnd(HttpRequest request, int status, boolean completed) {
            calls.add("end " + (request == null ? "-" : request.uri()) + " " + status + (completed ? " completed" : " cut short"));
        }

        String bodyText() {
            StringBuilder sb = new StringBuilder();
            for (String c : calls) {
                if (c.startsWith("body ")) {
                    sb.append(c, c.indexOf('[') + 1, c.lastIndexOf(']'));
                }
            }
            return sb.toString();
        }
    }

    /** A pipeline to backend b1 watched by {@code observer}: returns b1's idle connection. */
    private EmbeddedChannel oneBackend(ExchangeObserver observer) throws Exception {
        proxy = new EmbeddedProxy("", "", observer, "b1");
        return proxy.backend("b1");
    }

    /** {@code request} through a pipeline to b1 watched by {@code observer}, answered by b1 with {@code response}: returns b1. */
    private EmbeddedChannel exchange(ExchangeObserver observer, String request, String response) throws Exception {
        EmbeddedChannel b1 = oneBackend(observer);
        proxy.send(request);
        EmbeddedBackends.written(b1);
        EmbeddedBackends.answer(b1, response);
        return b1;
    }

    @AfterEach
    void tearDown() {
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void seesTheForwardedRequestTheResponseHeadTheBackendAndTheBody() throws Exception {
        Recorder r = new Recorder(true);
        EmbeddedChannel b1 = oneBackend(r);
        proxy.send("POST /orders HTTP/1.0\r\nHost: shop\r\nContent-Length: 5\r\n\r\nhello");
        assertTrue(EmbeddedBackends.written(b1).startsWith("POST /orders HTTP/1.1"));
        EmbeddedBackends.answer(b1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        assertTrue(proxy.written().startsWith("HTTP/1.1 201 Created"));
        assertEquals("hello", r.bodyText());
        int n = r.calls.size();
        assertTrue(r.calls.get(n - 3).startsWith("body /orders") && r.calls.get(n - 3).endsWith(" last"), r.calls.toString());
        assertEquals(List.of("head POST /orders HTTP/1.1 xff=embedded -> 201 from b1", "end /orders 201 completed"), r.calls.subList(n - 2, n),
                "the head as forwarded (HTTP/1.1, X-Forwarded-For added), after the body");
    }

    @Test
    void theBodyIsOnlyOfferedWhenAskedFor() throws Exception {
        Recorder r = new Recorder(false);
        exchange(r, "PUT /k HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 204 No Content\r\n\r\n");
        assertEquals(List.of("head PUT /k HTTP/1.1 xff=embedded -> 204 from b1", "end /k 204 completed"), r.calls);
    }

    @Test
    void anAnswerTheProxyMadeHasNoBackend() throws Exception {
        Recorder r = new Recorder(true);
        proxy = new EmbeddedProxy("", "", r, "b1");
        proxy.cluster.setDraining("b1", true);
        proxy.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
        assertEquals(List.of(
                "head GET /a HTTP/1.1 xff=embedded -> 503 from proxy", "end /a 503 completed",
                "head GET /b HTTP/1.1 xff=null -> 400 from proxy", "end /b 400 completed"), r.calls,
                "a pipelined second request is an exchange of its own; a rejected head is passed as it came");
    }

    @Test
    void aHeadThatNeverCompletedHasNoRequest() throws Exception {
        Recorder r = new Recorder(true);
        proxy = new EmbeddedProxy("http { header-read-timeout = 1s }", "", r, "b1");
        proxy.send("GET / HTTP/1.1\r\nHost: t\r\n");
        proxy.ch.advanceTimeBy(1, TimeUnit.SECONDS);
        proxy.ch.runScheduledPendingTasks();
        assertTrue(proxy.written().startsWith("HTTP/1.1 408"));
        assertEquals(List.of("head - -> 408 from proxy", "end - 408 completed"), r.calls);
    }

    @Test
    void aResponseCutShortEndsTheExchangeNotCompleted() throws Exception {
        Recorder r = new Recorder(false);
        EmbeddedChannel b1 = exchange(r, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345");
        b1.close();
        proxy.ch.runPendingTasks();
        assertFalse(proxy.ch.isActive(), "the client sees the truncation");
        assertEquals(List.of("head GET /big HTTP/1.1 xff=embedded -> 200 from b1", "end /big 200 cut short"), r.calls);
    }

    @Test
    void theNoopObserverAsksForNoBody() {
        ExchangeObserver noop = ExchangeObserver.noop();
        assertSame(noop, ExchangeObserver.noop(), "one shared instance: nothing allocated per listener or request");
        assertFalse(noop.observesRequestBody(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/")));
    }
}
