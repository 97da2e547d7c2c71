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

    /** A size in bytes ({@code 8k}, {@code 64KiB}, {@code 1048576}). */
    public long bytes(String key, long dflt, long min, long max) {
        return read(key, dflt, "expected a size in bytes (e.g. 16k)", config::getBytes,
                n -> n < min || n > max ? outOfRange(n, " bytes", min, max) : null);
    }

    /** A duration ({@code 2s}, {@code 500ms}); negative values are problems, zero only when allowed. */
    public Duration duration(String key, Duration dflt, boolean zeroAllowed) {
        return read(key, dflt, "expected a duration (e.g. 2s, 500ms)", config::getDuration,
                d -> d.isNegative() || (!zeroAllowed && d.isZero())
                        ? "must be " + (zeroAllowed ? ">= 0" : "> 0") + ", got " + config.getValue(quote(key)).unwrapped()
                        : null);
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
            problem(key, expected);
            return dflt;
        }
        String reason = invalid.apply(value);
        if (reason != null) {
            problem(key, reason);
            return dflt;
        }
        return value;
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

    /** Reports every key present that no getter asked for. */
    public void finish() {
        for (String key : keys()) {
            if (!known.contains(key)) {
                problem(key, "unknown key");
            }
        }
    }

    private static String quote(String key) {
        return com.typesafe.config.ConfigUtil.joinPath(key);
    }
}
