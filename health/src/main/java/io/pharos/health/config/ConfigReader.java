package io.pharos.health.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads one HOCON object for the config records: typed getters with defaults that record every
 * problem (with its full path) instead of throwing, and {@link #finish()} that reports every key that
 * no getter asked for, so that a typo never passes silently.
 *
 * <p>Shared by the proxy's and the GTM sidecar's config loaders; used on the thread that loads a config only.
 */
public final class ConfigReader {
    private final Config config;
    private final String path;
    private final List<String> problems;
    private final Set<String> known = new HashSet<>();

    private static final Pattern BARE_NUMBER = Pattern.compile("[+-]?[0-9]*\\.?[0-9]+([eE][+-]?[0-9]+)?");
    private static final Pattern ZERO = Pattern.compile("[+-]?0*\\.?0*");

    public ConfigReader(Config config, String path, List<String> problems) {
        this.config = config;
        this.path = path;
        this.problems = problems;
    }

    public String path() {
        return path;
    }

    public String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    public List<String> problems() {
        return problems;
    }

    public void problem(String key, String reason) {
        problems.add(path(key) + ": " + reason);
    }

    public boolean has(String key) {
        known.add(key);
        return config.hasPath(quote(key));
    }

    /** Marks a key as known without reading it (read by someone else). */
    public void allow(String key) {
        known.add(key);
    }

    public String string(String key, String dflt) {
        return read(key, dflt, "expected a string", config::getString, s -> null);
    }

    public Optional<String> optionalString(String key) {
        return Optional.ofNullable(string(key, null));
    }

    public String requiredString(String key) {
        String s = string(key, null);
        if (s == null && !config.hasPath(quote(key))) {
            problem(key, "missing (required)");
        }
        return s;
    }

    public boolean bool(String key, boolean dflt) {
        return read(key, dflt, "expected true or false", config::getBoolean, b -> null);
    }

    public int integer(String key, int dflt, int min, int max) {
        String expected = "expected an integer in " + min + ".." + max;
        return read(key, (long) dflt, expected, q -> {
            ConfigValue v = config.getValue(q);
            if (v.valueType() != ConfigValueType.NUMBER && v.valueType() != ConfigValueType.STRING) {
                throw new WrongType(v.origin(), q, "an integer", v.valueType().name());
            }
            return config.getLong(q);
        }, n -> n < min || n > max ? outOfRange(n, "", min, max) : null).intValue();
    }

    public double decimal(String key, double dflt, double min, double max) {
        return read(key, dflt, "expected a number in " + min + ".." + max, config::getDouble,
                d -> d >= min && d <= max ? null : outOfRange(d, "", min, max));
    }

    /**
     * A size with its unit ({@code 8k}, {@code 64KiB}, {@code 512b}); a bare number other than 0 is a problem,
     * since a reader cannot tell bytes from kilobytes.
     */
    public long bytes(String key, long dflt, long min, long max) {
        return read(key, dflt, "expected a size with a unit (e.g. 512b, 16k, 1m)", withUnit(config::getBytes),
                n -> n < min || n > max ? outOfRange(n, " bytes", min, max) : null);
    }

    /**
     * A duration with its unit ({@code 2s}, {@code 500ms}); a bare number other than 0 is a problem (HOCON
     * would read {@code interval = 1} as one millisecond). Negative values are problems, zero only when allowed.
     */
    public Duration duration(String key, Duration dflt, boolean zeroAllowed) {
        return read(key, dflt, "expected a duration with a unit (e.g. 2s, 500ms)", withUnit(config::getDuration),
                d -> d.isNegative() || (!zeroAllowed && d.isZero())
                        ? "must be " + (zeroAllowed ? ">= 0" : "> 0") + ", got " + config.getValue(quote(key)).unwrapped()
                        : null);
    }

    /** {@code get}, refusing (as a bad value) a number written without a unit, except 0. */
    private <T> Function<String, T> withUnit(Function<String, T> get) {
        return q -> {
            ConfigValue v = config.getValue(q);
            String raw = String.valueOf(v.unwrapped()).trim();
            if ((v.valueType() == ConfigValueType.NUMBER || BARE_NUMBER.matcher(raw).matches()) && !ZERO.matcher(raw).matches()) {
                throw new BadValue(v.origin(), q, "a number without a unit");
            }
            return get.apply(q);
        };
    }

    /**
     * The one way a typed getter reads {@code key}: absent gives {@code dflt}; a value {@code get} refuses
     * (wrong type, bad value) is the problem {@code expected}; a value {@code invalid} names a reason for
     * is that problem; both give {@code dflt}.
     */
    private <T> T read(String key, T dflt, String expected, Function<String, T> get, Function<T, String> invalid) {
        if (!has(key)) {
            return dflt;
        }
        T value;
        try {
            value = get.apply(quote(key));
        } catch (WrongType | BadValue e) {
            problem(key, expected + gotNumber(key));
            return dflt;
        }
        String reason = invalid.apply(value);
        if (reason != null) {
            problem(key, reason);
            return dflt;
        }
        return value;
    }

    /** {@code ", got 1"} when {@code key} holds a number or a boolean (never a string: it may be a secret). */
    private String gotNumber(String key) {
        ConfigValue v = config.getValue(quote(key));
        return v.valueType() == ConfigValueType.NUMBER || v.valueType() == ConfigValueType.BOOLEAN ? ", got " + v.unwrapped() : "";
    }

    private static String outOfRange(Object value, String unit, Object min, Object max) {
        return value + unit + " is out of range (expected " + min + ".." + max + ")";
    }

    public Optional<HostPort> address(String key, boolean required) {
        String s = required ? requiredString(key) : string(key, null);
        if (s == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(HostPort.parse(s));
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return Optional.empty();
        }
    }

    /** An enum constant by its {@link #wireName} (any case). */
    public <E extends Enum<E>> E enumValue(String key, E dflt, Class<E> type) {
        String s = string(key, null);
        return s == null ? dflt : parseEnum(key, s, dflt, type);
    }

    /** {@code s}, found under {@code key}, as an enum constant by its {@link #wireName} (any case); a problem and {@code dflt} if none. */
    public <E extends Enum<E>> E parseEnum(String key, String s, E dflt, Class<E> type) {
        for (E e : type.getEnumConstants()) {
            if (wireName(e).equalsIgnoreCase(s)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(wireName(e));
        }
        problem(key, "unknown value '" + s + "' (expected one of " + String.join(", ", names) + ")");
        return dflt;
    }

    public static String wireName(Enum<?> e) {
        return e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** A nested object; absent gives an empty reader (all defaults). */
    public ConfigReader object(String key) {
        if (!has(key)) {
            return new ConfigReader(com.typesafe.config.ConfigFactory.empty(), path(key), problems);
        }
        try {
            return new ConfigReader(config.getConfig(quote(key)), path(key), problems);
        } catch (WrongType e) {
            problem(key, "expected an object { ... }");
            return new ConfigReader(com.typesafe.config.ConfigFactory.empty(), path(key), problems);
        }
    }

    public boolean hasObject(String key) {
        return has(key) && config.getValue(quote(key)).valueType() == ConfigValueType.OBJECT;
    }

    /** A list of objects, each read by {@code reader}; elements are at {@code key[i]}. */
    public <T> List<T> objectList(String key, Function<ConfigReader, T> reader) {
        List<T> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        List<? extends ConfigObject> list;
        try {
            list = config.getObjectList(quote(key));
        } catch (WrongType e) {
            problem(key, "expected a list of objects [ { ... } ]");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            ConfigReader r = new ConfigReader(list.get(i).toConfig(), path(key) + "[" + i + "]", problems);
            T t = reader.apply(r);
            r.finish();
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    public List<String> stringList(String key) {
        return read(key, List.of(), "expected a list of strings", config::getStringList, l -> null);
    }

    /** An integer or a list of integers. */
    public List<Integer> intList(String key) {
        return read(key, List.of(), "expected an integer or a list of integers",
                q -> config.getValue(q).valueType() == ConfigValueType.NUMBER ? List.of(config.getInt(q)) : config.getIntList(q),
                l -> null);
    }

    /** The keys of this object in file order is not kept by HOCON; sorted for stable output. */
    public List<String> keys() {
        List<String> keys = new ArrayList<>(config.root().keySet());
        keys.sort(null);
        return keys;
    }

    /** Reports every key present that no getter asked for, with the nearest known key when one is close. */
    public void finish() {
        for (String key : keys()) {
            if (!known.contains(key)) {
                String near = nearest(key, known);
                problem(key, "unknown key" + (near == null ? "" : " (did you mean '" + near + "'?)"));
            }
        }
    }

    /** The candidate closest to {@code key} by edit distance, if it is a likely typo of it (at most 2 edits, under half its length); else null. */
    static String nearest(String key, Iterable<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String c : candidates) {
            int d = editDistance(key, c);
            if (d < bestDistance || (d == bestDistance && best != null && c.compareTo(best) < 0)) {
                best = c;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= 2 && bestDistance * 2 < Math.max(key.length(), best.length()) ? best : null;
    }

    /** Levenshtein distance, with a swap of two neighbours counting as one edit (so {@code tiemout} is one from {@code timeout}). */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * A HOCON parse or resolve error as one problem line without the name of {@code mainFile} (the caller
     * names it once): {@code line 4: <reason>}; an error in another (included) file keeps that file's name.
     * {@code mainFile} is null for parsed text.
     */
    public static String syntaxProblem(com.typesafe.config.ConfigException e, java.nio.file.Path mainFile) {
        String message = e.getMessage();
        if (e.origin() == null) {
            return message;
        }
        String prefix = e.origin().description() + ": ";
        String reason = message.startsWith(prefix) ? message.substring(prefix.length()) : message;
        String where = e.origin().lineNumber() > 0 ? "line " + e.origin().lineNumber() + ": " : "";
        String other = e.origin().filename();
        if (other != null && (mainFile == null || !java.nio.file.Path.of(other).toAbsolutePath().normalize()
                .equals(mainFile.toAbsolutePath().normalize()))) {
            where = other + ": " + where;
        }
        return where + reason;
    }

    private static String quote(String key) {
        return com.typesafe.config.ConfigUtil.joinPath(key);
    }
}
