package io.pharos.gtm;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/pharos gtm -c conf/gtm.conf}: loads the config (an invalid one exits 2 with a header naming
 * the file and one line per problem, naming its HOCON path), starts the {@link GtmSidecar} and runs until SIGTERM/SIGINT. The sidecar's
 * entry point: {@code bin/pharos gtm} runs this class from the pharos-gtm jar and its libs; logs use the
 * proxy's one-line format. {@code bin/pharos gtm check -c FILE} (also what {@code bin/pharos check} runs
 * on a file with a top-level {@code gtm} object) validates and exits: 0 valid, 2 invalid.
 */
public final class GtmMain {
    private GtmMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        boolean check = args.length > 0 && "check".equals(args[0]);
        Path file = null;
        for (int i = check ? 1 : 0; i < args.length; i++) {
            if (("-c".equals(args[i]) || "--config".equals(args[i])) && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else {
                usage("unknown argument: " + args[i]);
            }
        }
        if (file == null) {
            usage("missing -c FILE");
        }
        GtmConfig config;
        try {
            config = GtmConfigLoader.load(file);
        } catch (GtmConfigException e) {
            System.err.println("pharos gtm: invalid config " + file + " (" + count(e.problems().size(), "problem") + "):");
            for (String p : e.problems()) {
                System.err.println(p);
            }
            System.exit(2);
            return;
        }
        if (check) {
            System.out.println("pharos gtm: " + file + " is valid (" + count(config.regions().size(), "region") + ", "
                    + count(config.names().size(), "name") + ", " + count(config.dns().servers().size(), "DNS server") + ")");
            System.exit(0);
            return;
        }
        GtmSidecar sidecar;
        try {
            sidecar = GtmSidecar.start(config);
        } catch (Exception e) {
            System.err.println("pharos gtm: cannot start: " + e);
            System.exit(1);
            return;
        }
        // SIGTERM/SIGINT stop the sidecar cleanly and exit 0, like the proxy
        CountDownLatch stop = new CountDownLatch(1);
        sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> stop.countDown());
        sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> stop.countDown());
        stop.await();
        sidecar.close();
        System.exit(0);
    }

    /** {@code 1 region}, {@code 2 regions}. */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static void usage(String problem) {
        System.err.println("usage: pharos gtm -c FILE | pharos gtm check -c FILE   (" + problem + ")");
        System.exit(2);
    }
}
