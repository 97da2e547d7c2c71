package io.pharos.proxy.demo;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import sun.misc.Signal;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The reference key-value HTTP app of data continuity (docs/kv-app.md): instances in one region share one
 * store directory ({@link KvStore}), honour {@code Idempotency-Key} (IETF draft, Stripe semantics) and dump
 * their contents for a checker. Run it with {@code bin/pharos kv --listen HOST:PORT --store DIR}, or embed it
 * with {@link #start}. The JDK's HTTP server (HTTP/1.1, keep-alive, chunked bodies) hands each request to
 * one of {@value #THREADS} worker threads, which block on the store's lock and disk.
 *
 * <p>Thread-safe; {@link #close()} once.
 */
public final class KvApp implements AutoCloseable {
    /** How long an answered Idempotency-Key is kept by default. */
    public static final Duration DEFAULT_IDEMPOTENCY_TTL = Duration.ofHours(24);
    static final int THREADS = 8;
    static final int MAX_BODY_BYTES = 8 << 20;
    static final int MAX_KEY_CHARS = 1024;
    static final int MAX_IDEMPOTENCY_KEY_CHARS = 255;
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String REPLAYED = "Idempotent-Replayed";
    static final String PHAROS_REPLAY = "Pharos-Replay";
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    private final String name;
    private final HttpServer server;
    private final ExecutorService workers;
    private final KvStore store;

    private KvApp(String name, HttpServer server, ExecutorService workers, KvStore store) {
        this.name = name;
        this.server = server;
        this.workers = workers;
        this.store = store;
    }

    /** Serves the store in {@code store} on {@code listen} (port 0: any free port) as instance {@code name}. Blocks until bound. */
    public static KvApp start(InetSocketAddress listen, Path store, String name) throws IOException {
        return start(listen, store, name, DEFAULT_IDEMPOTENCY_TTL);
    }

    /** As {@link #start(InetSocketAddress, Path, String)}, keeping answered Idempotency-Keys for {@code idempotencyTtl}. */
    public static KvApp start(InetSocketAddress listen, Path store, String name, Duration idempotencyTtl) throws IOException {
        return start(listen, store, name, idempotencyTtl, System::currentTimeMillis);
    }

    /** As above, with the wall clock in milliseconds from {@code clock} (tests move it). */
    static KvApp start(InetSocketAddress listen, Path store, String name, Duration idempotencyTtl, LongSupplier clock)
            throws IOException {
        KvStore kv = KvStore.open(store, name, clock, idempotencyTtl);
        AtomicInteger n = new AtomicInteger();
        ExecutorService workers = Executors.newFixedThreadPool(THREADS, r -> new Thread(r, "kv-" + name + "-" + n.incrementAndGet()));
        try {
            HttpServer server = HttpServer.create(listen, 128);
            KvApp app = new KvApp(name, server, workers, kv);
            server.createContext("/", new KvHandler(name, kv)::handle);
            server.setExecutor(workers);
            server.start();
            return app;
        } catch (IOException | RuntimeException e) {
            workers.shutdownNow();
            kv.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops accepting, lets running requests finish (up to a second), closes the store. Blocks. */
    @Override
    public void close() {
        server.stop(1);
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        try {
            store.close();
        } catch (IOException e) {
            System.getLogger(KvApp.class.getName()).log(System.Logger.Level.WARNING, "kv " + name + ": closing the store", e);
        }
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    /** The usage line of {@code pharos kv}. */
    public static String usageLine() {
        return "pharos kv --listen HOST:PORT --store DIR [--name NAME] [--idempotency-ttl 24h]   the reference key-value app";
    }

    /**
     * {@code --listen HOST:PORT --store DIR [--name NAME] [--idempotency-ttl 24h]}: serves until SIGTERM or
     * SIGINT, then stops cleanly and returns 0; 2 on a usage error, 1 when it cannot start. Prints
     * {@code kv NAME listening on HOST:PORT} once it serves. Blocks.
     */
    public static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        String listen = null;
        String dir = null;
        String name = "kv";
        Duration ttl = DEFAULT_IDEMPOTENCY_TTL;
        try {
            for (int i = 0; i < args.length; i += 2) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(args[i] + " needs a value");
                }
                String v = args[i + 1];
                switch (args[i]) {
                    case "--listen" -> listen = v;
                    case "--store" -> dir = v;
                    case "--name" -> name = v;
                    case "--idempotency-ttl" -> ttl = duration(v);
                    default -> throw new IllegalArgumentException("unknown option " + args[i]);
                }
            }
            if (listen == null || dir == null) {
                throw new IllegalArgumentException("--listen and --store are required");
            }
        } catch (IllegalArgumentException e) {
            err.println("pharos kv: " + e.getMessage());
            err.println("usage: " + usageLine());
            return 2;
        }
        KvApp app;
        try {
            app = start(address(listen), Path.of(dir), name, ttl);
        } catch (IOException | IllegalArgumentException e) {
            err.println("pharos kv: cannot serve " + dir + " on " + listen + ": " + e);
            return 1;
        }
        CountDownLatch stop = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), s -> stop.countDown());
        Signal.handle(new Signal("INT"), s -> stop.countDown());
        out.println("kv " + name + " listening on " + app.address().getHostString() + ":" + app.port());
        out.flush();
        stop.await();
        app.close();
        return 0;
    }

    /** {@code HOST:PORT} or {@code [V6]:PORT}. */
    static InetSocketAddress address(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--listen: " + hostPort + " (expected: HOST:PORT)");
        }
        String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
        try {
            return new InetSocketAddress(host, Integer.parseInt(hostPort.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen: " + hostPort + " (expected: HOST:PORT)");
        }
    }

    /** {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d}. */
    static Duration duration(String s) {
        Matcher m = DURATION.matcher(s.trim());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("--idempotency-ttl: " + s + " (expected: a positive duration like 30s, 10m, 24h, 7d)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    /** Routes one exchange; runs on a worker thread. */
    private record KvHandler(String instance, KvStore store) {
        void handle(HttpExchange ex) {
            try {
                route(ex);
            } catch (BadRequest e) {
                problem(ex, e.status, e.title, e.getMessage());
            } catch (Exception e) {
                System.getLogger(KvApp.class.getName()).log(System.Logger.Level.ERROR, "kv " + instance + ": " + ex.getRequestMethod()
                        + " " + ex.getRequestURI(), e);
                problem(ex, 500, "Internal Server Error", e.toString());
            } finally {
                ex.close();
            }
        }

        private void route(HttpExchange ex) throws IOException, BadRequest {
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            if (path.equals("/healthz")) {
                allow(ex, method, "GET");
                send(ex, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.US_ASCII));
            } else if (path.equals("/kv") || path.equals("/kv/")) {
                allow(ex, method, "GET");
                send(ex, 200, "application/json", KvJson.dump(instance, store.dump()));
            } else if (path.startsWith("/kv/")) {
                String key = key(path.substring(4));
                switch (method) {
                    case "GET" -> {
                        KvStoreDump.Key k = store.get(key);
                        if (k == null) {
                            throw new BadRequest(404, "Not Found", "no key " + key);
                        }
                        ex.getResponseHeaders().set("ETag", "\"" + k.version() + "\"");
                        send(ex, 200, "application/json", KvJson.key(key, k));
                    }
                    case "PUT" -> write(ex, KvEntry.Op.PUT, key, path);
                    case "POST" -> write(ex, KvEntry.Op.APPEND, key, path);
                    case "DELETE" -> write(ex, KvEntry.Op.DELETE, key, path);
                    default -> allow(ex, method, "GET, PUT, POST, DELETE");
                }
            } else {
                throw new BadRequest(404, "Not Found", "no resource " + path + " (try /kv/{key}, /kv, /healthz)");
            }
        }

        private void write(HttpExchange ex, KvEntry.Op op, String key, String rawPath) throws IOException, BadRequest {
            byte[] body = ex.getRequestBody().readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw new BadRequest(413, "Content Too Large", "a value is at most " + MAX_BODY_BYTES + " bytes");
            }
            String idempotencyKey = idempotencyKey(ex);
            String replay = single(ex, PHAROS_REPLAY);
            if (replay != null && replay.length() > MAX_IDEMPOTENCY_KEY_CHARS) {
                throw new BadRequest(400, "Bad Request", PHAROS_REPLAY + " longer than " + MAX_IDEMPOTENCY_KEY_CHARS + " characters");
            }
            String fingerprint = idempotencyKey == null ? null
                    : ex.getRequestMethod() + " " + rawPath + " " + HexFormat.of().formatHex(sha256(body));
            KvStore.Outcome o = store.write(op, key, op == KvEntry.Op.DELETE ? null : body, idempotencyKey, fingerprint, replay);
            switch (o.kind()) {
                case APPLIED -> send(ex, o.response());
                case REPLAYED -> {
                    ex.getResponseHeaders().set(REPLAYED, "true");
                    send(ex, o.response());
                }
                case MISMATCH -> throw new BadRequest(422, "Unprocessable Content",
                        IDEMPOTENCY_KEY + " " + idempotencyKey + " was used for a different request (method, path or body)");
                case IN_FLIGHT -> {
                    ex.getResponseHeaders().set("Retry-After", "1");
                    throw new BadRequest(409, "Conflict", "a request with " + IDEMPOTENCY_KEY + " " + idempotencyKey
                            + " is still being processed");
                }
            }
        }

        private static void allow(HttpExchange ex, String method, String allowed) throws BadRequest {
            if (!List.of(allowed.split(", ")).contains(method)) {
                ex.getResponseHeaders().set("Allow", allowed);
                throw new BadRequest(405, "Method Not Allowed", method + " (allowed: " + allowed + ")");
            }
        }

        private static String key(String raw) throws BadRequest {
            String key;
            try {
                key = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                throw new BadRequest(400, "Bad Request", "key " + raw + ": " + e.getMessage());
            }
            if (key.isEmpty() || key.length() > MAX_KEY_CHARS || key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new BadRequest(400, "Bad Request", "a key has 1 to " + MAX_KEY_CHARS + " characters and no control characters");
            }
            return key;
        }

        /** The header's one value, null when absent; 400 when repeated. */
        private static String single(HttpExchange ex, String header) throws BadRequest {
            List<String> values = ex.getRequestHeaders().get(header);
            if (values == null || values.isEmpty()) {
                return null;
            }
            if (values.size() > 1) {
                throw new BadRequest(400, "Bad Request", header + " given " + values.size() + " times");
            }
            return values.get(0).trim();
        }

        /** The key, unquoted when sent as a structured-field string ({@code "abc"}, the draft) or taken as is (Stripe). */
        private static String idempotencyKey(HttpExchange ex) throws BadRequest {
            String v = single(ex, IDEMPOTENCY_KEY);
            if (v == null) {
                return null;
            }
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            if (v.isEmpty() || v.length() > MAX_IDEMPOTENCY_KEY_CHARS || v.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
                throw new BadRequest(400, "Bad Request", IDEMPOTENCY_KEY + " must have 1 to " + MAX_IDEMPOTENCY_KEY_CHARS
                        + " printable ASCII characters");
            }
            return v;
        }

        private static void send(HttpExchange ex, KvEntry.Response r) throws IOException {
            if (r.etag() != null) {
                ex.getResponseHeaders().set("ETag", r.etag());
            }
            if (r.location() != null) {
                ex.getResponseHeaders().set("Location", r.location());
            }
            send(ex, r.status(), r.status() >= 400 ? "application/problem+json" : "application/json", r.body());
        }

        private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
            if (body == null) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }

        private static void problem(HttpExchange ex, int status, String title, String detail) {
            try {
                send(ex, status, "application/problem+json", KvJson.problem(status, title, detail));
            } catch (IOException | RuntimeException e) {
                // the client is gone, or the head went out before the failure: nothing more to say
            }
        }

        private static byte[] sha256(byte[] body) {
            try {
                return MessageDigest.getInstance("SHA-256").digest(body);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("every JDK has SHA-256", e);
            }
        }
    }

    /** A 4xx answer. */
    private static final class BadRequest extends Exception {
        final int status;
        final String title;

        BadRequest(int status, String title, String detail) {
            super(detail);
            this.status = status;
            this.title = title;
        }
    }
}
