package io.pharos.gtm;

import io.pharos.health.PharosVersion;
import io.pharos.health.logging.LogLevels;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;

/**
 * {@code bin/pharos gtm -c conf/gtm.conf}: loads the config (an invalid one exits 2 with a header naming
 * the file and one line per problem, naming its HOCON path), starts the {@link GtmSidecar} and runs until SIGTERM/SIGINT. The sidecar's
 * entry point: {@code bin/pharos gtm} runs this class from the pharos-gtm jar and its libs; logs use the
 * proxy's one-line format. {@code bin/pharos gtm check -c FILE} (also what {@code bin/pharos check} runs
 * on a file with a top-level {@code gtm} object) validates and exits: 0 valid, 2 invalid.
 */
public final class GtmMain {
    private static final String HELP = """
            usage: pharos gtm -c FILE [-v | --log-level SPEC]
                   pharos gtm check -c FILE   validate the config and exit (0 valid, 2 invalid)
                   pharos gtm --version

            Runs the GTM sidecar (cross-region DNS failover, docs/gtm.md) with the HOCON config FILE
            (conf/gtm.conf is the commented example) until SIGTERM or SIGINT (exit 0). Its admin API
            (gtm.admin.listen) answers GET /status, POST /failover and POST /failback.

            options:
              -c, --config FILE   the config (required)
            """ + LogLevels.HELP + """

            exit: 0 stopped by a signal; 1 cannot start; 2 invalid config (one line per problem) or usage
            JVM: JAVA_OPTS is passed to the JVM (docs/operations.md, "JVM settings").
            """;

    private GtmMain() {
    }

    public static void main(String[] cmdline) throws InterruptedException {
        LogLevels.useOneLineFormat();
        String[] args;
        try {
            LogLevels.Parsed parsed = LogLevels.extract(cmdline);
            parsed.levels().apply();
            args = parsed.rest();
        } catch (IllegalArgumentException e) {
            usage(e.getMessage());
            return;
        }
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            System.out.println(PharosVersion.describe("pharos gtm"));
            System.exit(0);
        }
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(HELP);
            System.exit(0);
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
        System.err.println("usage: pharos gtm -c FILE [-v | --log-level SPEC] | pharos gtm check -c FILE   (" + problem + "; see pharos gtm --help)");
        System.exit(2);
    }
}
