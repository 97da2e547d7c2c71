package io.pharos.bench;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The load generator's command line, parsed and checked once.
 *
 * @param mode         what to run
 * @param host         target (http, tcp) or listen (sink) host
 * @param port         target or listen port
 * @param path         request path with query (http); {@code {c}} in it stands for the connection's index
 * @param method       request method (http)
 * @param body         request body sent with every request, empty for none (http)
 * @param connections  concurrent connections (http, tcp)
 * @param threads      event loops of the generator
 * @param duration     how long the counted part runs
 * @param warmup       how long to run before counting starts (traffic flows, nothing is recorded)
 * @param rate         requests per second over all connections; 0 = closed loop (as fast as answers come)
 * @param newConnection one request per connection (connect, request, close) instead of keep-alive
 * @param timeout      a request (or connect) unanswered this long is an error; the connection is closed
 * @param hdrLog       where to write an HdrHistogram interval log (one interval per second)
 * @param chunk        bytes per write in tcp mode
 * @param quiet        no per-second progress lines
 * @param watch        processes whose CPU time (over the counted window) and memory are reported
 */
record BenchOptions(Mode mode, String host, int port, String path, String method, String body, int connections, int threads,
                    Duration duration, Duration warmup, double rate, boolean newConnection, Duration timeout,
                    Optional<Path> hdrLog, int chunk, boolean quiet, ProcWatch watch) {

    /** What the generator does. */
    enum Mode { HTTP, TCP, SINK }

    static final String USAGE = """
            usage: pharos-bench [http] URL [options]      HTTP/1.1 load (closed loop, or open loop with --rate)
                   pharos-bench tcp HOST:PORT [options]   L4 bulk: write bytes as fast as accepted, report MiB/s
                   pharos-bench sink HOST:PORT            a TCP server that discards what it reads (target for tcp)
                   pharos-bench serve                     read one command line per stdin line, run it, print its
                                                          result: line; one warm JVM for many runs (bench/compare)
            options:
              -c, --connections N   concurrent connections (default 10)
              -d, --duration D      counted run time, e.g. 10s, 500ms, 2m (default 10s)
              -t, --threads N       event loop threads (default 1)
              -w, --warmup D        run this long before counting (default 0)
              -R, --rate R          open loop: R requests/s in total, latency measured from the intended
                                    send time (coordinated omission corrected, as wrk2); default: closed loop
              -n, --new-conn        a new connection for every request (Connection: close)
              -m, --method M        request method (default GET); {c} in the URL's path stands for the
                                    connection's index (e.g. http://h/kv/bench-{c}: one key per connection)
                  --body TEXT       a body sent with every request (Content-Length, text/plain)
                  --timeout D       request/connect timeout, counted as an error (default 2s)
                  --hdr-log FILE    write an HdrHistogram interval log (one interval per second)
                  --chunk BYTES     tcp mode: bytes per write, e.g. 64k (default 64k)
              -q, --quiet           no per-second progress
                  --watch-pids P,P     report these processes' CPU time over the counted window (per
                                    request, per MiB) and their resident memory at its end (Linux /proc)
                  --clk-tck N       kernel clock ticks per second for --watch-pids (default 100)
            The last line printed starts with "result:" and holds key=value pairs for scripts.""";

    BenchOptions {
        if (connections < 1 || connections > 100_000) {
            throw new IllegalArgumentException("connections: " + connections + " (expected: 1..100000)");
        }
        if (threads < 1 || threads > 256) {
            throw new IllegalArgumentException("threads: " + threads + " (expected: 1..256)");
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration: " + duration + " (expected: > 0)");
        }
        if (warmup.isNegative()) {
            throw new IllegalArgumentException("warmup: " + warmup + " (expected: >= 0)");
        }
        if (rate < 0 || Double.isNaN(rate) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate: " + rate + " (expected: >= 0; 0 = closed loop)");
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("timeout: " + timeout + " (expected: >= 1ms)");
        }
        if (chunk < 1 || chunk > (16 << 20)) {
            throw new IllegalArgumentException("chunk: " + chunk + " (expected: 1..16M)");
        }
        if (!method.matches("[A-Z]{1,20}")) {
            throw new IllegalArgumentException("method: '" + method + "' (expected: upper-case letters, e.g. POST)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
    }

    boolean openLoop() {
        return rate > 0;
    }

    /** Parses the command line; throws {@link IllegalArgumentException} with a message fit for the user. */
    static BenchOptions parse(String... args) {
        if (args.length == 0) {
            throw new IllegalArgumentException("missing target");
        }
        int i = 0;
        Mode mode = Mode.HTTP;
        switch (args[0]) {
            case "http" -> i++;
            case "tcp" -> {
                mode = Mode.TCP;
                i++;
            }
            case "sink" -> {
                mode = Mode.SINK;
                i++;
            }
            default -> {
            }
        }
        String target = null;
        int connections = 10;
        int threads = 1;
        Duration duration = Duration.ofSeconds(10);
        Duration warmup = Duration.ZERO;
        double rate = 0;
        boolean newConnection = false;
        String method = "GET";
        String body = "";
        Duration timeout = Duration.ofSeconds(2);
        Optional<Path> hdrLog = Optional.empty();
        int chunk = 64 * 1024;
        boolean quiet = false;
        java.util.List<Integer> pids = new java.util.ArrayList<>();
        int clockTck = 100;
        for (; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "-c", "--connections" -> connections = integer(a, value(args, ++i, a));
                case "-t", "--threads" -> threads = integer(a, value(args, ++i, a));
                case "-d", "--duration" -> duration = duration(a, value(args, ++i, a));
                case "-w", "--warmup" -> warmup = duration(a, value(args, ++i, a));
                case "-R", "--rate" -> rate = decimal(a, value(args, ++i, a));
                case "-n", "--new-conn" -> newConnection = true;
                case "-m", "--method" -> method = value(args, ++i, a);
                case "--body" -> body = value(args, ++i, a);
                case "--timeout" -> timeout = duration(a, value(args, ++i, a));
                case "--hdr-log" -> hdrLog = Optional.of(Path.of(value(args, ++i, a)));
                case "--chunk" -> chunk = (int) Math.min(Integer.MAX_VALUE, bytes(a, value(args, ++i, a)));
                case "-q", "--quiet" -> quiet = true;
                case "--watch-pids" -> {
                    for (String pid : value(args, ++i, a).split(",")) {
                        if (!pid.isBlank()) {
                            pids.add(integer(a, pid.trim()));
                        }
                    }
                }
                case "--clk-tck" -> clockTck = integer(a, value(args, ++i, a));
                default -> {
                    if (a.startsWith("-")) {
                        throw new IllegalArgumentException("unknown option " + a);
                    }
                    if (target != null) {
                        throw new IllegalArgumentException("more than one target: " + target + " and " + a);
                    }
                    target = a;
                }
            }
        }
        if (target == null) {
            throw new IllegalArgumentException("missing target (" + (mode == Mode.HTTP ? "URL" : "HOST:PORT") + ")");
        }
        String host;
        int port;
        String path = "/";
        if (mode == Mode.HTTP) {
            URI uri;
            try {
                uri = URI.create(target.replace("{c}", "%7Bc%7D"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad URL '" + target + "': " + e.getMessage());
            }
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
                throw new IllegalArgumentException("bad URL '" + target + "' (expected http://host[:port]/path)");
            }
            host = uri.getHost();
            port = uri.getPort() < 0 ? 80 : uri.getPort();
            String p = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            path = (uri.getRawQuery() == null ? p : p + "?" + uri.getRawQuery()).replace("%7Bc%7D", "{c}");
        } else {
            int colon = target.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("bad address '" + target + "' (expected HOST:PORT)");
            }
            host = target.substring(0, colon);
            port = integer("port", target.substring(colon + 1));
        }
        if (mode != Mode.HTTP && (rate > 0 || newConnection)) {
            throw new IllegalArgumentException("--rate and --new-conn apply to http mode only");
        }
        if (mode != Mode.HTTP && (!method.equals("GET") || !body.isEmpty())) {
            throw new IllegalArgumentException("--method and --body apply to http mode only");
        }
        return new BenchOptions(mode, host, port, path, method, body, connections, threads, duration, warmup, rate, newConnection,
                timeout, hdrLog, chunk, quiet, new ProcWatch(pids, clockTck));
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + ": missing value");
        }
        return args[i];
    }

    private static int integer(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' is not an integer");
        }
    }

    private static double decimal(String option, String v) {
        try {
            String s = v.toLowerCase(Locale.ROOT);
            double mult = s.endsWith("k") ? 1000 : 1;
            return Double.parseDouble(mult == 1 ? s : s.substring(0, s.length() - 1)) * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' is not a number");
        }
    }

    /** {@code 10s}, {@code 500ms}, {@code 2m}, {@code 1.5s}; a bare number is seconds. */
    static Duration duration(String option, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.endsWith("ms")) {
                return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 2)) * 1e6));
            }
            if (s.endsWith("s")) {
                return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1e9));
            }
            if (s.endsWith("m")) {
                return Duration.ofNanos((long) (Double.parseDouble(s.substring(0, s.length() - 1)) * 60e9));
            }
            return Duration.ofNanos((long) (Double.parseDouble(s) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' is not a duration (e.g. 10s, 500ms, 2m)");
        }
    }

    /** {@code 65536}, {@code 64k}, {@code 1m}. */
    static long bytes(String option, String v) {
        String s = v.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        if (s.endsWith("k")) {
            mult = 1024;
        } else if (s.endsWith("m")) {
            mult = 1024 * 1024;
        }
        try {
            return Long.parseLong(mult == 1 ? s : s.substring(0, s.length() - 1)) * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": '" + v + "' is not a byte count (e.g. 65536, 64k, 1m)");
        }
    }
}
