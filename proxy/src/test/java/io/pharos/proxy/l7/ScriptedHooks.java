package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An {@link ExchangeObserver} for tests whose hooks do what the request's {@code x-hook} header says,
 * as {@code key=value} pairs separated by {@code ;} (any value hooks the exchange, which then gets an
 * {@code idempotency-key: generated-N} header):
 * <ul>
 *   <li>{@code admit=503}: refused before a backend is picked, 503 with {@code Retry-After: 7}</li>
 *   <li>{@code max-length=N}: refused before a backend is picked, 413, when {@code Content-Length} is over N</li>
 *   <li>{@code max-body=N}: refused with 413 at the body piece that takes it over N bytes</li>
 *   <li>{@code hold=wait}: the response is held on a stage the test completes ({@link #holds});
 *       {@code hold=now}: on a stage already completed with null; {@code hold=refuse}: one already
 *       completed with a 503, {@code Retry-After: 2}; {@code hold=fail}: one already failed</li>
 * </ul>
 * Writes down every call ({@link #calls}) and each end ({@link #ends}). Thread-safe.
 */
final class ScriptedHooks implements ExchangeObserver {
    static final String HEADER = "x-hook";

    /** A response held on a stage the test completes, on any thread. */
    record Held(int status, String backend, CompletableFuture<Refusal> decision) {
    }

    final BlockingQueue<Held> holds = new LinkedBlockingQueue<>();
    /** {@code "<status> completed"} or {@code "<status> cut short"}, one per hooked exchange. */
    final BlockingQueue<String> ends = new LinkedBlockingQueue<>();
    /** Every call, in order: {@code admit}, {@code body N[ last]}, {@code head S from B}, {@code end S completed}. */
    final List<String> calls = new CopyOnWriteArrayList<>();
    private final AtomicInteger keys = new AtomicInteger();

    @Override
    public ExchangeHook onRequest(ClusterConfig cluster, HttpRequest request, boolean hasBody) {
        String script = request.headers().get(HEADER);
        if (script == null) {
            return null;
        }
        Map<String, String> s = new HashMap<>();
        for (String pair : script.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                s.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
            }
        }
        request.headers().set("idempotency-key", "generated-" + keys.incrementAndGet());
        long contentLength = HttpUtil.getContentLength(request, -1L);
        return new Hook(s, contentLength);
    }

    private final class Hook implements ExchangeHook {
        private final Map<String, String> script;
        private final long contentLength;
        private long bodyBytes;

        Hook(Map<String, String> script, long contentLength) {
            this.script = script;
            this.contentLength = contentLength;
        }

        @Override
        public Refusal admit() {
            calls.add("admit");
            if ("503".equals(script.get("admit"))) {
                return Refusal.unavailable("journal full", 7);
            }
            String max = script.get("max-length");
            if (max != null && contentLength > Long.parseLong(max)) {
                return Refusal.tooLarge("Content-Length " + contentLength + " over max-body " + max);
            }
            return null;
        }

        @Override
        public Refusal onRequestBody(ByteBuf content, boolean last) {
            bodyBytes += content.readableBytes();
            calls.add("body " + content.readableBytes() + (last ? " last" : ""));
            String max = script.get("max-body");
            if (max != null && bodyBytes > Long.parseLong(max)) {
                return Refusal.tooLarge("body over max-body " + max);
            }
            return null;
        }

        @Override
        public CompletionStage<Refusal> onResponseHead(HttpResponse response, Backend backend) {
            calls.add("head " + response.status().code() + " from " + backend.name());
            String hold = script.get("hold");
            if (hold == null) {
                return null;
            }
            return switch (hold) {
                case "wait" -> {
                    CompletableFuture<Refusal> f = new CompletableFuture<>();
                    holds.add(new Held(response.status().code(), backend.name(), f));
                    yield f;
                }
                case "now" -> CompletableFuture.completedFuture(null);
                case "refuse" -> CompletableFuture.completedFuture(Refusal.unavailable("peer did not confirm", 2));
                case "fail" -> CompletableFuture.failedFuture(new IllegalStateException("journal writer stopped"));
                default -> throw new IllegalArgumentException("hold: " + hold);
            };
        }

        @Override
        public void onEnd(int status, boolean completed) {
            String end = status + (completed ? " completed" : " cut short");
            calls.add("end " + end);
            ends.add(end);
        }
    }

    /** The header line that asks for {@code script}. */
    static String header(String script) {
        return HEADER + ": " + script + "\r\n";
    }
}
