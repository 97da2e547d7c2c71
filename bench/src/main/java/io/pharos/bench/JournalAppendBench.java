package io.pharos.bench;

import io.pharos.proxy.continuity.journal.Journal;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.continuity.journal.JournalSettings;
import io.pharos.proxy.continuity.journal.JournalStats;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * Appends/s of the file journal with group commit: W writer threads, each appending one record and
 * waiting for its acknowledgement (the fsync that covers it) before the next, like W concurrent sync
 * writes. Contenders (threads x record size) are interleaved round by round on a fresh directory each;
 * the report gives, per contender, the median appends/s with its spread (half the min-max range), the
 * appends per fsync, and the acknowledgement latency p50/p99 of the median round.
 *
 * <pre>bench/journal [--dir DIR] [--rounds 3] [--seconds 5] [--threads 1,4,16] [--sizes 256,4096]</pre>
 *
 * Runs on the calling thread plus the writer threads it starts.
 */
public final class JournalAppendBench {
    private record Contender(int threads, int size) {
        String name() {
            return threads + "t x " + size + "B";
        }
    }

    private record Run(double appendsPerSecond, double appendsPerForce, long p50Micros, long p99Micros) {
    }

    private JournalAppendBench() {
    }

    public static void main(String[] args) throws Exception {
        Path base = Path.of(System.getProperty("java.io.tmpdir"));
        int rounds = 3;
        int seconds = 5;
        int[] threads = {1, 4, 16};
        int[] sizes = {256, 4096};
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> base = Path.of(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = ints(args[++i]);
                case "--sizes" -> sizes = ints(args[++i]);
                default -> {
                    System.err.println("usage: bench/journal [--dir DIR] [--rounds N] [--seconds S] [--threads 1,4,16] [--sizes 256,4096]");
                    System.exit(2);
                }
            }
        }
        List<Contender> contenders = new ArrayList<>();
        for (int t : threads) {
            for (int s : sizes) {
                contenders.add(new Contender(t, s));
            }
        }
        List<List<Run>> runs = new ArrayList<>();
        contenders.forEach(c -> runs.add(new ArrayList<>()));
        System.out.printf("journal appends, group commit; %d rounds x %d s, interleaved; dir %s%n", rounds, seconds, base);
        for (int round = 1; round <= rounds; round++) {
            for (int i = 0; i < contenders.size(); i++) {
                Contender c = contenders.get(i);
                Run r = run(base, c, seconds);
                runs.get(i).add(r);
                System.out.printf("round %d  %-12s %9.0f appends/s  %6.1f appends/fsync  p50 %6d us  p99 %6d us%n",
                        round, c.name(), r.appendsPerSecond(), r.appendsPerForce(), r.p50Micros(), r.p99Micros());
            }
        }
        System.out.println();
        System.out.printf("%-12s %18s %15s %10s %10s%n", "contender", "appends/s", "appends/fsync", "p50 us", "p99 us");
        for (int i = 0; i < contenders.size(); i++) {
            List<Run> rs = new ArrayList<>(runs.get(i));
            rs.sort(Comparator.comparingDouble(Run::appendsPerSecond));
            Run median = rs.get(rs.size() / 2);
            double spread = (rs.get(rs.size() - 1).appendsPerSecond() - rs.get(0).appendsPerSecond()) / 2;
            System.out.printf("%-12s %10.0f ± %5.0f %15.1f %10d %10d%n", contenders.get(i).name(), median.appendsPerSecond(), spread,
                    median.appendsPerForce(), median.p50Micros(), median.p99Micros());
        }
    }

    private static Run run(Path base, Contender c, int seconds) throws Exception {
        Path dir = Files.createTempDirectory(base, "pharos-journal-bench");
        Recorder latency = new Recorder(3);
        AtomicBoolean stop = new AtomicBoolean();
        long appends;
        long forces;
        long nanos;
        try (Journal journal = Journal.openFile(dir, new JournalSettings(JournalSettings.DEFAULT_SEGMENT_SIZE,
                16L * 1024 * 1024 * 1024, JournalSettings.DEFAULT_MAX_AGE, JournalSettings.DEFAULT_QUEUE_CAPACITY))) {
            JournalRecord record = record(c.size());
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < c.threads(); t++) {
                writers.add(Thread.ofPlatform().name("bench-writer-" + t).start(() -> {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        try {
                            journal.append(record).get();
                        } catch (InterruptedException | ExecutionException e) {
                            throw new IllegalStateException(e);
                        }
                        latency.recordValue(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
                    }
                }));
            }
            // one second of warm-up, then the counted window
            Thread.sleep(1000);
            long before = journal.stats().appended();
            long forcesBefore = journal.stats().forces();
            latency.reset();
            long start = System.nanoTime();
            Thread.sleep(seconds * 1000L);
            JournalStats stats = journal.stats();
            nanos = System.nanoTime() - start;
            appends = stats.appended() - before;
            forces = stats.forces() - forcesBefore;
            stop.set(true);
            for (Thread w : writers) {
                w.join();
            }
        } finally {
            deleteTree(dir);
        }
        Histogram h = latency.getIntervalHistogram();
        return new Run(appends * 1e9 / nanos, forces == 0 ? 0 : (double) appends / forces,
                h.getValueAtPercentile(50), h.getValueAtPercentile(99));
    }

    /** A record whose encoded form is about {@code size} bytes. */
    private static JournalRecord record(int size) {
        byte[] body = new byte[Math.max(0, size - 120)];
        Arrays.fill(body, (byte) 'x');
        return JournalRecord.unsequenced("bench", "kv", 1, "tenant-1", "idem-0123456789", "POST", "/kv/some-key",
                List.of(new JournalRecord.Header("Content-Type", "application/json")), body, 201, "\"e1\"", null);
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
