package io.pharos.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * {@code pharos-bench serve}: runs one load per line read (the same arguments as the command line,
 * separated by blanks), each ending with its {@code result:} line, until end of input. A script driving
 * many short runs (bench/compare) pays for JVM start and JIT warm-up of the generator once instead of
 * per run. A line that cannot run still ends with a {@code result:} line ({@code mode=none error=...}),
 * so the reader never waits for nothing.
 *
 * <p>Runs on the main thread; loads run one after the other.
 */
final class BatchServer {
    private BatchServer() {
    }

    static void serve(BufferedReader in, PrintStream out) throws InterruptedException {
        String line;
        while ((line = readLine(in)) != null) {
            String trimmed = line.strip();
            if (trimmed.isEmpty()) {
                continue;
            }
            String[] args = Arrays.stream(trimmed.split("\\s+")).toArray(String[]::new);
            try {
                BenchOptions o = BenchOptions.parse(args);
                switch (o.mode()) {
                    case HTTP -> HttpLoad.run(o, out).print(out);
                    case TCP -> TcpLoad.run(o, out).print(out);
                    case SINK -> throw new IllegalArgumentException("sink does not end; start it as its own process");
                }
            } catch (IllegalArgumentException e) {
                out.println("pharos-bench: " + e.getMessage());
                out.println("result: mode=none requests=0 bytes=0 rps=0 mib_s=0 errors=0 error="
                        + e.getMessage().replaceAll("\\s+", "_"));
            }
            out.flush();
        }
    }

    private static String readLine(BufferedReader in) {
        try {
            return in.readLine();
        } catch (IOException e) {
            return null;
        }
    }
}
