package io.pharos.proxy.continuity.journal;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * The writer process {@link JournalCrashIT} kills: starts up, prints {@code warm}, waits for {@code go} on
 * stdin, opens (recovers) the journal in {@code args[0]}, prints {@code ready}, then
 * {@code args[2]} threads append {@link TestRecords#record} (writer = {@code args[1]} * 100 + thread)
 * until killed, and prints {@code "SEQ WRITER N;"} for every append once its future completed, i.e.
 * only acknowledged ones ({@code "refused [REASON] MESSAGE"} for a failed one). Runs until killed (or returns when stdin closes before {@code go}).
 */
public final class JournalCrashMain {
    static final JournalSettings SETTINGS = new JournalSettings(64 * 1024, 1L << 20, java.time.Duration.ofDays(1), 4096);
    private static final int IN_FLIGHT_PER_THREAD = 64;

    private JournalCrashMain() {
    }

    public static void main(String[] args) throws Exception {
        int round = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false);
        // start up while the previous round still runs, then wait for "go" before touching the directory
        Frames.crc(RecordCodec.encode(TestRecords.record(round, 0)));
        Class.forName(JournalWriter.class.getName());
        out.println("warm");
        out.flush();
        if (!"go".equals(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII)).readLine())) {
            return;
        }
        Journal journal = Journal.openFile(Path.of(args[0]), SETTINGS);
        ConcurrentLinkedQueue<String> acks = new ConcurrentLinkedQueue<>();
        out.println("ready " + journal.lastSequence());
        out.flush();
        for (int t = 0; t < threads; t++) {
            int writer = round * 100 + t;
            Thread.ofPlatform().daemon().start(() -> {
                Semaphore inFlight = new Semaphore(IN_FLIGHT_PER_THREAD);
                for (long n = 0; ; n++) {
                    inFlight.acquireUninterruptibly();
                    long mine = n;
                    journal.append(TestRecords.record(writer, mine)).whenComplete((seq, error) -> {
                        acks.add(error == null ? seq + " " + writer + " " + mine + ";"
                                : "refused " + (error instanceof JournalFullException full ? full.reason() + " " : "") + error.getMessage());
                        inFlight.release();
                    });
                }
            });
        }
        while (true) {
            String line;
            boolean any = false;
            while ((line = acks.poll()) != null) {
                out.println(line);
                any = true;
            }
            if (any) {
                out.flush();
            } else {
                Thread.sleep(1);
            }
        }
    }
}
