package io.pharos.proxy;

import io.pharos.health.logging.LogLevels;
import io.pharos.proxy.continuity.journal.JournalDump;
import io.pharos.proxy.demo.KvApp;

/** The text of {@code pharos COMMAND --help}: what the command does, its options and exit codes. Any thread. */
final class CommandHelp {
    private static final String JVM = "JVM: JAVA_OPTS is passed to the JVM; heap settings in it replace the launcher's defaults "
            + "(docs/operations.md, \"JVM settings\").\n";

    private CommandHelp() {
    }

    /** The help for {@code command} ({@code sub}: its first argument, for {@code demo continuity}), or null for none. */
    static String of(String command, String sub) {
        return switch (command) {
            case "proxy" -> """
                    usage: pharos proxy -c FILE [-v | --log-level SPEC]

                    Runs the proxy with the HOCON config FILE (docs/configuration.md) until SIGTERM or SIGINT,
                    which drain and stop it (exit 0). SIGHUP or POST /reload on the admin API re-reads FILE;
                    an invalid FILE is refused and the running config kept (docs/operations.md).

                    options:
                      -c, --config FILE   the config (required)
                    """ + LogLevels.HELP + """

                    exit: 0 stopped by a signal; 1 cannot start (a port taken, a state file unreadable); 2 invalid config or usage
                    """ + JVM;
            case "check" -> """
                    usage: pharos check -c FILE

                    Validates the proxy config FILE and exits: nothing is bound or started. Its TLS certificates
                    and keys are loaded and checked against each other, backend names are resolved (a name that
                    does not resolve is a warning). A GTM sidecar config is checked as by pharos gtm check -c FILE.

                    options:
                      -c, --config FILE   the config (required)

                    exit: 0 valid (warnings on stderr); 2 invalid (one line per problem, naming its HOCON path) or usage
                    """;
            case "demo" -> "continuity".equals(sub) ? """
                    usage: pharos demo continuity [--port N] [--mode sync|async] [-v | --log-level SPEC]

                    Data continuity on loopback, two regions in this process: region zurich is a proxy on
                    127.0.0.1:N over two kv instances, region frankfurt the same on N+1, each the other's peer
                    (continuity listeners on N+10 and N+11, admin APIs on N+20 and N+21). A write to one
                    region is applied in the other (docs/continuity.md). Files live in a temporary directory.

                    options:
                      --port N            zurich's port (default 8080); the demo uses N..N+21
                      --mode sync|async   ship before (sync, default) or behind (async) the client's answer
                    """ + LogLevels.HELP + """

                    exit: 0 stopped by SIGTERM or SIGINT; 1 cannot start (a port taken)
                    """ : """
                    usage: pharos demo [--port N] [--admin-port N] [-v | --log-level SPEC]
                           pharos demo continuity --help

                    The proxy on 127.0.0.1:8080 over three demo backends on loopback (round-robin), each
                    answering with its own name, and the admin API on 127.0.0.1:9901 (GET /status,
                    GET /clusters, drain, weights: docs/operations.md). Runs until SIGTERM or SIGINT.

                    options:
                      --port N            the proxy's port (default 8080)
                      --admin-port N      the admin API's port (default 9901; 0: any free port, printed)
                    """ + LogLevels.HELP + """

                    exit: 0 stopped by SIGTERM or SIGINT; 1 cannot start (a port taken); 2 usage
                    """;
            case "events" -> """
                    usage: pharos events -f FILE

                    Prints the proxy's health events from its event file (events.file in the proxy config)
                    as they come, one line each, until killed (docs/events.md).

                    options:
                      -f, --file FILE     the event file (required)

                    exit: 2 usage; otherwise it runs until killed
                    """;
            case "journal" -> "usage: " + JournalDump.usageLine() + "\n" + """

                    Prints a data-continuity journal directory: its records, the confirmed watermark and a
                    torn tail it would cut. Reads only (docs/continuity-journal.md).

                    options:
                      --from SEQ          start at sequence SEQ (default 1)
                      --json              one JSON object per record

                    exit: 0 read cleanly (a torn tail included); 1 corruption or I/O error; 2 usage
                    """;
            case "kv" -> "usage: " + KvApp.usageLine() + "\n" + """

                    The reference key-value application behind the continuity demo: instances sharing one
                    store directory (docs/kv-app.md). Prints "kv NAME listening on HOST:PORT" once it serves;
                    runs until SIGTERM or SIGINT.

                    options:
                      --listen HOST:PORT  where to serve (port 0: any free port) (required)
                      --store DIR         the store directory (required)
                      --name NAME         the instance's name in answers and logs (default kv)
                      --idempotency-ttl D how long an Idempotency-Key is remembered (default 24h)

                    exit: 0 stopped by a signal; 1 cannot start; 2 usage
                    """ + JVM;
            default -> null;
        };
    }
}
