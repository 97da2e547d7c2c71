package io.pharos.health.logging;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Log levels set on the command line of {@code pharos} and {@code pharos gtm} (java.util.logging):
 * {@code -v} (debug for Pharos's own loggers, {@code io.pharos}), {@code -vv} (trace for them), and
 * {@code --log-level SPEC}, where SPEC is a comma-separated list of {@code LEVEL} (every logger, the JVM's
 * root) or {@code LOGGER=LEVEL} (that logger and those below it, e.g. {@code io.pharos.proxy.tls=debug});
 * later settings win. Levels: off, error, warn, info, debug, trace (or the java.util.logging names).
 * Immutable once parsed; {@link #apply()} on the main thread before the program starts its work.
 */
public final class LogLevels {
    /** One line per record: time, level, logger, message, then the stack trace if any. */
    public static final String ONE_LINE_FORMAT = "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n";
    /** The options as {@code --help} lists them. */
    public static final String HELP = """
              -v, -vv             debug (-vv: trace) logging for Pharos's own loggers (io.pharos)
              --log-level SPEC    LEVEL for every logger, or LOGGER=LEVEL, comma-separated, e.g.
                                  --log-level warn,io.pharos.proxy.tls=debug; levels: off error warn info debug trace
            """;
    private static final String PHAROS = "io.pharos";
    private static final String ROOT = "";
    private static final String EXPECTED = "off, error, warn, info, debug, trace";
    /** java.util.logging holds loggers weakly: a level set on one nobody references would be lost. */
    private static final List<Logger> CONFIGURED = Collections.synchronizedList(new ArrayList<>());

    /** Logger name ({@code ""} for the root) to level, in the order given. */
    private final Map<String, Level> levels;

    private LogLevels(Map<String, Level> levels) {
        this.levels = Collections.unmodifiableMap(levels);
    }

    /** The log options found in a command line, and the arguments left for the command. */
    public record Parsed(LogLevels levels, String[] rest) {
    }

    /**
     * Sets the one-line format unless the user chose one ({@code -Djava.util.logging.SimpleFormatter.format}).
     * Call before the first logger is created: the console handler reads it once.
     */
    public static void useOneLineFormat() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", ONE_LINE_FORMAT);
        }
    }

    /**
     * Takes {@code -v}, {@code -vv}, {@code --log-level SPEC} and {@code --log-level=SPEC} out of
     * {@code args}, wherever they are.
     *
     * @throws IllegalArgumentException for a missing or bad SPEC, naming the option and the value
     */
    public static Parsed extract(String[] args) {
        Map<String, Level> levels = new LinkedHashMap<>();
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-v")) {
                put(levels, PHAROS, Level.FINE);
            } else if (a.equals("-vv")) {
                put(levels, PHAROS, Level.FINEST);
            } else if (a.equals("--log-level")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--log-level needs a value (" + EXPECTED + ", or LOGGER=LEVEL)");
                }
                parseInto(levels, args[++i]);
            } else if (a.startsWith("--log-level=")) {
                parseInto(levels, a.substring("--log-level=".length()));
            } else {
                rest.add(a);
            }
        }
        return new Parsed(new LogLevels(levels), rest.toArray(String[]::new));
    }

    /** Parses one SPEC. @throws IllegalArgumentException naming the bad part */
    public static LogLevels parse(String spec) {
        Map<String, Level> levels = new LinkedHashMap<>();
        parseInto(levels, spec);
        return new LogLevels(levels);
    }

    private static void parseInto(Map<String, Level> levels, String spec) {
        if (spec.isBlank()) {
            throw new IllegalArgumentException("--log-level: empty (expected: " + EXPECTED + ", or LOGGER=LEVEL)");
        }
        for (String part : spec.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            String logger = eq < 0 ? ROOT : p.substring(0, eq).trim();
            if (eq >= 0 && (logger.isEmpty() || logger.chars().anyMatch(Character::isWhitespace))) {
                throw new IllegalArgumentException("--log-level: bad logger name in '" + p + "' (expected LOGGER=LEVEL, e.g. io.pharos.proxy.tls=debug)");
            }
            put(levels, logger, level(eq < 0 ? p : p.substring(eq + 1).trim()));
        }
    }

    private static void put(Map<String, Level> levels, String logger, Level level) {
        levels.remove(logger);
        levels.put(logger, level);
    }

    /** A level by its operator name (error, warn, info, debug, trace, off) or its java.util.logging name. */
    static Level level(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "off" -> Level.OFF;
            case "error", "severe" -> Level.SEVERE;
            case "warn", "warning" -> Level.WARNING;
            case "info" -> Level.INFO;
            case "config" -> Level.CONFIG;
            case "debug", "fine" -> Level.FINE;
            case "finer" -> Level.FINER;
            case "trace", "finest" -> Level.FINEST;
            case "all" -> Level.ALL;
            default -> throw new IllegalArgumentException("--log-level: unknown level '" + name + "' (expected: " + EXPECTED + ")");
        };
    }

    /** Logger name ({@code ""}: the root) to level, in the order given; empty when nothing was asked. */
    public Map<String, Level> levels() {
        return levels;
    }

    /**
     * Sets each logger's level, then lowers the root's handlers (the console) to the finest level asked, so
     * that debug records get printed. Does nothing when no level was asked, leaving a
     * {@code java.util.logging.config.file} in charge.
     */
    public void apply() {
        Level finest = null;
        for (Map.Entry<String, Level> e : levels.entrySet()) {
            Logger logger = Logger.getLogger(e.getKey());
            logger.setLevel(e.getValue());
            CONFIGURED.add(logger);
            if (finest == null || e.getValue().intValue() < finest.intValue()) {
                finest = e.getValue();
            }
        }
        if (finest == null || finest == Level.OFF) {
            return;
        }
        for (Handler h : Logger.getLogger(ROOT).getHandlers()) {
            if (h.getLevel().intValue() > finest.intValue()) {
                h.setLevel(finest);
            }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        levels.forEach((logger, level) -> sb.append(sb.isEmpty() ? "" : ",").append(logger.isEmpty() ? "" : logger + "=").append(level));
        return sb.toString();
    }
}
