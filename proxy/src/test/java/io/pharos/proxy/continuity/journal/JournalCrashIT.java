package io.pharos.proxy.continuity.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 13, must-show 3: the writer process is killed with SIGKILL ({@code ProcessHandle.destroyForcibly})
 * during group commit, many times;
 * after each kill the journal reopens with every acknowledged record intact, sequences dense, and a
 * cursor from the confirmed watermark resumes with no gap and no duplicate. Each round is one JVM (the
 * kill ends it); lanes run rounds on their own directories side by side.
 *
 * <p>{@code -Djournal.crash.rounds=200} (total), {@code -Djournal.crash.maxKillMillis=150} (the kill
 * comes 0..this after the writer's first acknowledgement), {@code -Djournal.crash.lanes=2}.
 */
class JournalCrashIT {
    private static final int ROUNDS = Integer.getInteger("journal.crash.rounds", 200);
    private static final int MAX_KILL_MILLIS = Integer.getInteger("journal.crash.maxKillMillis", 150);
    private static final int LANES = Integer.getInteger("journal.crash.lanes", 2);

    @TempDir
    Path tmp;

    private record Ack(long sequence, int writer, long n) {
    }

    private record LaneResult(int rounds, long acks, long maxSequence, long truncations) {
    }

    @Test
    void everyAcknowledgedRecordSurvivesSigkillDuringGroupCommit() throws Exception {
        ExecutorService lanes = Executors.newFixedThreadPool(LANES);
        try {
            List<CompletableFuture<LaneResult>> results = new ArrayList<>();
            for (int lane = 0; lane < LANES; lane++) {
                int rounds = ROUNDS / LANES + (lane < ROUNDS % LANES ? 1 : 0);
                Path dir = tmp.resolve("lane-" + lane);
                long seed = 42 + lane;
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return runLane(dir, rounds, seed);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, lanes));
            }
            long acks = 0;
            int rounds = 0;
            for (CompletableFuture<LaneResult> r : results) {
                LaneResult lr = r.get(10, TimeUnit.MINUTES);
                rounds += lr.rounds();
                acks += lr.acks();
                System.out.println("lane: " + lr);
            }
            assertEquals(ROUNDS, rounds);
            assertTrue(acks >= ROUNDS, "every writer acknowledged appends before its kill: " + acks);
        } finally {
            lanes.shutdownNow();
        }
    }

    private LaneResult runLane(Path dir, int rounds, long seed) throws Exception {
        SplittableRandom random = new SplittableRandom(seed);
        Map<Long, Ack> acked = new HashMap<>();
        long ackCount = 0;
        long truncations = 0;
        Writer next = Writer.start(dir, 1, 1 + random.nextInt(4));
        try {
            for (int round = 1; round <= rounds; round++) {
                Writer current = next;
                current.awaitWarm();
                // the next round's JVM starts up while this one appends: JVM start-up is most of a round
                next = round < rounds ? Writer.start(dir, round + 1, 1 + random.nextInt(4)) : null;
                long sizeBefore = lastSegmentSize(dir);
                List<Ack> acks = current.runAndKill(random.nextInt(MAX_KILL_MILLIS + 1));
                ackCount += acks.size();
                for (Ack a : acks) {
                    Ack old = acked.put(a.sequence(), a);
                    assertTrue(old == null, "round " + round + ": sequence " + a.sequence() + " acknowledged twice: " + old + ", " + a);
                }
                try (FileJournal j = FileJournal.open(dir, JournalCrashMain.SETTINGS, java.time.Clock.systemUTC(), FileJournal.NO_HOOK)) {
                    if (lastSegmentSize(dir) < sizeBefore) {
                        truncations++;
                    }
                    verify(j, acked, round, random);
                }
            }
        } finally {
            if (next != null) {
                next.process.destroyForcibly();
            }
        }
        long max = acked.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        return new LaneResult(rounds, ackCount, max, truncations);
    }

    private static long lastSegmentSize(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        List<Path> files = SegmentFiles.list(dir);
        return files.isEmpty() ? 0 : Files.size(files.get(files.size() - 1));
    }

    /** Every acknowledged (retained) record is there with its content; dense; the watermark cursor resumes exactly. */
    private static void verify(FileJournal j, Map<Long, Ack> acked, int round, SplittableRandom random) throws Exception {
        long first = j.stats().firstSequence();
        long last = j.lastSequence();
        acked.keySet().removeIf(seq -> seq < first);
        for (long seq : acked.keySet()) {
            assertTrue(seq <= last, "round " + round + ": acknowledged sequence " + seq + " lost (last " + last + ")");
        }
        long expected = first == 0 ? 1 : first;
        try (JournalCursor c = j.openCursor(expected - 1)) {
            for (JournalRecord r = c.poll(); r != null; r = c.poll()) {
                assertEquals(expected, r.sequence(), "round " + round + ": dense sequences");
                Ack a = acked.get(r.sequence());
                if (a != null) {
                    assertTrue(TestRecords.matches(r, a.writer(), a.n()), "round " + round + ": content of " + a + ": " + r);
                }
                expected++;
            }
        }
        assertEquals(last + 1, expected, "round " + round + ": read up to the last sequence");
        long confirmed = j.confirmedSequence();
        long resumed = 0;
        try (JournalCursor c = j.openCursor(confirmed)) {
            for (JournalRecord r = c.poll(); r != null; r = c.poll()) {
                assertEquals(confirmed + resumed + 1, r.sequence(), "round " + round + ": shipper resumes without gap or duplicate");
                resumed++;
            }
        }
        assertEquals(last - confirmed, resumed);
        // the shipper gets near the end before the next crash (near enough that the 1 MiB cap is never hit)
        long from = Math.max(confirmed, last - 200);
        j.confirm(from + random.nextLong(last - from + 1));
    }

    /** One writer JVM ({@link JournalCrashMain}) for one round. */
    private record Writer(Process process, BufferedReader out, Path log, int round) {
        static Writer start(Path dir, int round, int threads) throws Exception {
            String java = ProcessHandle.current().info().command().orElse("java");
            Path log = Files.createTempFile("journal-crash", ".log");
            Process p = new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx128m",
                    "-Xshare:auto", "-cp", System.getProperty("java.class.path"), JournalCrashMain.class.getName(),
                    dir.toString(), Integer.toString(round), Integer.toString(threads))
                    .redirectError(log.toFile()).start();
            return new Writer(p, new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII)), log, round);
        }

        void awaitWarm() throws Exception {
            String warm = out.readLine();
            assertEquals("warm", warm, "round " + round + ": writer did not warm up: " + Files.readString(log));
        }

        /**
         * Lets the writer open the journal, kills it {@code killAfterMillis} after its first acknowledgement
         * (so the kill lands while group commits are going on), returns everything it acknowledged.
         */
        List<Ack> runAndKill(int killAfterMillis) throws Exception {
            List<Ack> acks = new ArrayList<>();
            try {
                process.getOutputStream().write("go\n".getBytes(StandardCharsets.US_ASCII));
                process.getOutputStream().flush();
                String ready = out.readLine();
                assertNotNull(ready, "round " + round + ": writer died before ready: " + Files.readString(log));
                assertTrue(ready.startsWith("ready "), ready);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (acks.isEmpty()) {
                    assertTrue(System.nanoTime() < deadline, "round " + round + ": no acknowledgement within 60 s");
                    String line = out.readLine();
                    assertNotNull(line, "round " + round + ": writer died before its first acknowledgement: " + Files.readString(log));
                    parse(line, acks);
                }
                Thread.sleep(killAfterMillis);
                // SIGKILL through the handle: Process.destroyForcibly() would also close our end of its stdout,
                // losing acknowledgements still in the pipe
                process.toHandle().destroyForcibly();
                assertTrue(process.waitFor(30, TimeUnit.SECONDS));
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    parse(line, acks);
                }
            } finally {
                process.destroyForcibly();
                out.close();
                Files.deleteIfExists(log);
            }
            return acks;
        }

        private static void parse(String line, List<Ack> acks) {
            // a line cut by the kill has no ';' and proves nothing
            if (line.endsWith(";")) {
                String[] f = line.substring(0, line.length() - 1).split(" ");
                acks.add(new Ack(Long.parseLong(f[0]), Integer.parseInt(f[1]), Long.parseLong(f[2])));
            }
        }
    }
}
