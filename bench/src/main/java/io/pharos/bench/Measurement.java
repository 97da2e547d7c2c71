package io.pharos.bench;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The main thread's side of a run: waits out the warm-up, switches recording on, collects the loops'
 * interval histograms once per second (progress line, optional HdrHistogram log), stops the run and
 * merges everything into a {@link LoadResult}.
 */
final class Measurement {
    private Measurement() {
    }

    /** Blocks for warm-up + duration. */
    static LoadResult run(BenchOptions o, String mode, LoadControl control, List<LoopStats> loops, PrintStream out)
            throws InterruptedException {
        sleepNanos(o.warmup().toNanos());
        Histogram total = new Histogram(3);
        HistogramLogWriter log = openLog(o);
        long bytesBefore = sumBytes(loops);
        long startNanos = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        ProcWatch watch = o.watch();
        long ticksBefore = watch.cpuTicks();
        control.startRecording();
        if (log != null) {
            log.outputLogFormatVersion();
            log.outputStartTime(startMillis);
            log.setBaseTime(startMillis);
            log.outputLegend();
        }
        long end = startNanos + o.duration().toNanos();
        long tick = startNanos;
        long lastBytes = bytesBefore;
        long lastCount = 0;
        int second = 0;
        long stoppedAt = end;
        Optional<LoadResult.Usage> usage = Optional.empty();
        while (true) {
            tick = Math.min(tick + TimeUnit.SECONDS.toNanos(1), end);
            sleepNanos(tick - System.nanoTime());
            boolean last = tick >= end;
            if (last) {
                control.stop();
                stoppedAt = System.nanoTime();
                if (!watch.isEmpty()) {
                    usage = Optional.of(new LoadResult.Usage(watch.ticksToSeconds(watch.cpuTicks() - ticksBefore),
                            watch.rssKb(), watch.peakRssKb()));
                }
            }
            Histogram interval = new Histogram(3);
            for (LoopStats s : loops) {
                interval.add(s.intervalHistogram(null));
            }
            long now = System.currentTimeMillis();
            interval.setStartTimeStamp(Math.max(startMillis, now - 1000));
            interval.setEndTimeStamp(now);
            total.add(interval);
            if (log != null) {
                log.outputIntervalHistogram(interval);
            }
            long bytes = sumBytes(loops);
            second++;
            if (!o.quiet()) {
                double secs = (tick - (startNanos + TimeUnit.SECONDS.toNanos(second - 1))) / 1e9;
                if (mode.equals("http")) {
                    out.printf(Locale.ROOT, "  %3ds  %10.1f req/s  %8.1f MiB/s  p99 %s%n", second,
                            (total.getTotalCount() - lastCount) / secs, (bytes - lastBytes) / 1048576.0 / secs,
                            LoadResult.ms(interval.getValueAtPercentile(99)));
                } else {
                    out.printf(Locale.ROOT, "  %3ds  %8.1f MiB/s%n", second, (bytes - lastBytes) / 1048576.0 / secs);
                }
            }
            lastBytes = bytes;
            lastCount = total.getTotalCount();
            if (last) {
                break;
            }
        }
        double seconds = (stoppedAt - startNanos) / 1e9;
        if (log != null) {
            log.close();
        }
        long[] errors = new long[ErrorKind.values().length];
        for (LoopStats s : loops) {
            for (ErrorKind k : ErrorKind.values()) {
                errors[k.ordinal()] += s.errors(k);
            }
        }
        long requests = mode.equals("http") ? total.getTotalCount() : 0;
        return new LoadResult(mode, seconds, requests, sumBytes(loops) - bytesBefore, total, errors, usage);
    }

    private static HistogramLogWriter openLog(BenchOptions o) {
        if (o.hdrLog().isEmpty()) {
            return null;
        }
        try {
            return new HistogramLogWriter(o.hdrLog().get().toFile());
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("--hdr-log: cannot write " + o.hdrLog().get() + ": " + e.getMessage());
        }
    }

    private static long sumBytes(List<LoopStats> loops) {
        long n = 0;
        for (LoopStats s : loops) {
            n += s.bytes();
        }
        return n;
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        if (nanos > 0) {
            TimeUnit.NANOSECONDS.sleep(nanos);
        }
    }
}
