package io.pharos.gtm;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/pharos gtm -c conf/gtm.conf}: loads the config (an invalid one exits 2 with one line per
 * problem, naming its path), starts the {@link GtmSidecar} and runs until SIGTERM/SIGINT. The sidecar's
 * entry point: {@code bin/pharos gtm} runs this class from the pharos-gtm jar and its libs; logs use the
 * proxy's one-line format.
 */
public final class GtmMain {
    private GtmMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        }
        Path file = null;
        for (int i = 0; i < args.length; i++) {
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
            for (String p : e.problems()) {
                System.err.println(p);
            }
            System.exit(2);
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

    private static void usage(String problem) {
        System.err.println("usage: pharos gtm -c FILE   (" + problem + ")");
        System.exit(2);
    }
}
