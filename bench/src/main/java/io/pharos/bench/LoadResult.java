package io.pharos.bench;

import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Optional;

/**
 * The outcome of one counted run: completed requests, bytes, latencies (nanoseconds) and errors by kind.
 *
 * @param mode     {@code http} or {@code tcp}
 * @param seconds  length of the counted part
 * @param requests complete responses (any status); 0 in tcp mode
 * @param bytes    bytes received (http) or written (tcp)
 * @param latency  latencies of the complete responses, nanoseconds
 * @param errors   counts indexed by {@link ErrorKind#ordinal()}
 * @param usage    CPU and memory of the watched processes, when some were watched
 */
record LoadResult(String mode, double seconds, long requests, long bytes, Histogram latency, long[] errors,
                  Optional<Usage> usage) {

    /**
     * What the watched processes used.
     *
     * @param cpuSeconds CPU time over the counted window
     * @param rssKb      resident memory at the end of the window, KiB
     * @param peakRssKb  peak resident memory since each process started, KiB
     */
    record Usage(double cpuSeconds, long rssKb, long peakRssKb) {
    }

    private static final double MIB = 1024.0 * 1024.0;

    double requestsPerSecond() {
        return requests / seconds;
    }

    double mibPerSecond() {
        return bytes / MIB / seconds;
    }

    long errorCount() {
        long n = 0;
        for (long e : errors) {
            n += e;
        }
        return n;
    }

    long errors(ErrorKind kind) {
        return errors[kind.ordinal()];
    }

    /** The human summary followed by the {@code result:} line. */
    void print(PrintStream out) {
        if (mode.equals("http")) {
            out.printf(Locale.ROOT, "  requests  %d in %.2fs   %.1f req/s   %.1f MiB/s%n", requests, seconds,
                    requestsPerSecond(), mibPerSecond());
            out.printf(Locale.ROOT, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (mean %s)%n",
                    ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(90)),
                    ms(latency.getValueAtPercentile(99)), ms(latency.getValueAtPercentile(99.9)),
                    ms(latency.getMaxValue()), ms((long) latency.getMean()));
            StringBuilder e = new StringBuilder("  errors   ");
            for (ErrorKind k : ErrorKind.values()) {
                e.append(' ').append(k.label()).append(' ').append(errors(k));
            }
            out.println(e);
        } else {
            out.printf(Locale.ROOT, "  bytes     %d in %.2fs   %.1f MiB/s%n", bytes, seconds, mibPerSecond());
        }
        usage.ifPresent(u -> out.printf(Locale.ROOT,
                "  watched   cpu %.2fs (%.2f us/request, %.2f ms/MiB)  rss %d KiB  peak rss %d KiB%n",
                u.cpuSeconds(), cpuMicrosPerRequest(), cpuMillisPerMib(), u.rssKb(), u.peakRssKb()));
        out.println(resultLine());
    }

    /** One line of {@code key=value} pairs, for scripts. Latencies in microseconds. */
    String resultLine() {
        StringBuilder b = new StringBuilder("result:");
        b.append(" mode=").append(mode);
        b.append(String.format(Locale.ROOT, " seconds=%.3f requests=%d rps=%.1f bytes=%d mib_s=%.1f", seconds,
                requests, requestsPerSecond(), bytes, mibPerSecond()));
        if (mode.equals("http")) {
            b.append(" p50_us=").append(us(latency.getValueAtPercentile(50)));
            b.append(" p90_us=").append(us(latency.getValueAtPercentile(90)));
            b.append(" p99_us=").append(us(latency.getValueAtPercentile(99)));
            b.append(" p999_us=").append(us(latency.getValueAtPercentile(99.9)));
            b.append(" max_us=").append(us(latency.getMaxValue()));
        }
        b.append(" errors=").append(errorCount());
        usage.ifPresent(u -> b.append(String.format(Locale.ROOT,
                " cpu_s=%.3f cpu_us_per_req=%.3f cpu_ms_per_mib=%.3f rss_kb=%d peak_rss_kb=%d",
                u.cpuSeconds(), cpuMicrosPerRequest(), cpuMillisPerMib(), u.rssKb(), u.peakRssKb())));
        for (ErrorKind k : ErrorKind.values()) {
            b.append(" err_").append(k.label()).append('=').append(errors(k));
        }
        return b.toString();
    }

    /** Watched CPU time per complete request, microseconds; 0 without requests or usage. */
    double cpuMicrosPerRequest() {
        return usage.isEmpty() || requests == 0 ? 0 : usage.get().cpuSeconds() * 1e6 / requests;
    }

    /** Watched CPU time per MiB moved, milliseconds; 0 without bytes or usage. */
    double cpuMillisPerMib() {
        return usage.isEmpty() || bytes == 0 ? 0 : usage.get().cpuSeconds() * 1e3 / (bytes / MIB);
    }

    private static long us(long nanos) {
        return Math.round(nanos / 1000.0);
    }

    static String ms(long nanos) {
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms < 10 ? "%.3f ms" : "%.1f ms", ms);
    }
}
