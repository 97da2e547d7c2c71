package io.pharos.bench;

import java.io.PrintStream;

/**
 * {@code pharos-bench}: the HTTP/1.1 and L4 load generator (see {@link BenchOptions#USAGE}). Exit code 0
 * after a run, 2 on a bad command line, 1 when the run could not start.
 */
public final class LoadGenerator {
    private LoadGenerator() {
    }

    public static void main(String[] args) throws InterruptedException {
        PrintStream out = System.out;
        if (args.length == 1 && (args[0].equals("-h") || args[0].equals("--help"))) {
            out.println(BenchOptions.USAGE);
            return;
        }
        if (args.length == 1 && args[0].equals("serve")) {
            BatchServer.serve(new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                    java.nio.charset.StandardCharsets.UTF_8)), out);
            out.flush();
            System.exit(0);
            return;
        }
        BenchOptions o;
        try {
            o = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("pharos-bench: " + e.getMessage());
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        try {
            switch (o.mode()) {
                case HTTP -> HttpLoad.run(o, out).print(out);
                case TCP -> TcpLoad.run(o, out).print(out);
                case SINK -> TcpSink.serve(o, out);
            }
        } catch (IllegalArgumentException e) {
            System.err.println("pharos-bench: " + e.getMessage());
            System.exit(1);
        }
        out.flush();
        System.exit(0);
    }
}
