package io.pharos.health.gtm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.BadValue;
import com.typesafe.config.ConfigException.WrongType;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValueType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads one HOCON object of the GTM config: typed getters with defaults that record every problem
 * with its full path instead of throwing, and {@link #finish()} that reports keys nobody asked for.
 * The same style as the proxy's config reader (the health module cannot depend on the proxy).
 *
 * <p>Used on the thread that loads the config only.
 */
final class GtmConfigReader {
    private final Config config;
    private final String path;
    private final List<String> problems;
    private final Set<String> known = new HashSet<>();

    GtmConfigReader(Config config, String path, List<String> problems) {
        this.config = config;
        this.path = path;
        this.problems = problems;
    }

    String path(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    void problem(String key, String reason) {
        problems.add(path(key) + ": " + reason);
    }

    boolean has(String key) {
        known.add(key);
        return config.hasPath(ConfigUtil.joinPath(key));
    }

    String string(String key, String dflt) {
        if (!has(key)) {
            return dflt;
        }
        try {
            return config.getString(ConfigUtil.joinPath(key));
        } catch (WrongType e) {
            problem(key, "expected a string");
            return dflt;
        }
    }

    String requiredString(String key) {
        if (!has(key)) {
            problem(key, "missing (required)");
            return null;
        }
        return string(key, null);
    }

    int integer(String key, int dflt, int min, int max) {
        if (!has(key)) {
            return dflt;
        }
        try {
            long n = config.getLong(ConfigUtil.joinPath(key));
            if (n < min || n > max) {
                problem(key, n + " is out of range (expected " + min + ".." + max + ")");
                return dflt;
            }
            return (int) n;
        } catch (WrongType | BadValue e) {
            problem(key, "expected an integer in " + min + ".." + max);
            return dflt;
        }
    }

    Duration duration(String key, Duration dflt) {
        if (!has(key)) {
            return dflt;
        }
        try {
            Duration d = config.getDuration(ConfigUtil.joinPath(key));
            if (d.isNegative() || d.isZero()) {
                problem(key, "must be > 0, got " + config.getValue(ConfigUtil.joinPath(key)).unwrapped());
                return dflt;
            }
            return d;
        } catch (WrongType | BadValue e) {
            problem(key, "expected a duration (e.g. 2s, 500ms)");
            return dflt;
        }
    }

    <E extends Enum<E>> E enumValue(String key, E dflt, Class<E> type) {
        String s = string(key, null);
        return s == null ? dflt : parseEnum(key, s, dflt, type);
    }

    <E extends Enum<E>> E parseEnum(String key, String s, E dflt, Class<E> type) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            if (wireName(e).equalsIgnoreCase(s)) {
                return e;
            }
            names.add(wireName(e));
        }
        problem(key, "unknown value '" + s + "' (expected one of " + String.join(", ", names) + ")");
        return dflt;
    }

    static String wireName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    List<String> stringList(String key) {
        if (!has(key)) {
            return List.of();
        }
        try {
            return config.getStringList(ConfigUtil.joinPath(key));
        } catch (WrongType e) {
            problem(key, "expected a list of strings");
            return List.of();
        }
    }

    List<Integer> intList(String key) {
        if (!has(key)) {
            return List.of();
        }
        try {
            if (config.getValue(ConfigUtil.joinPath(key)).valueType() == ConfigValueType.NUMBER) {
                return List.of(config.getInt(ConfigUtil.joinPath(key)));
            }
            return config.getIntList(ConfigUtil.joinPath(key));
        } catch (WrongType | BadValue e) {
            problem(key, "expected an integer or a list of integers");
            return List.of();
        }
    }

    /** A nested object; absent gives an empty reader (all defaults). The caller calls {@link #finish()}. */
    GtmConfigReader object(String key) {
        if (has(key)) {
            try {
                return new GtmConfigReader(config.getConfig(ConfigUtil.joinPath(key)), path(key), problems);
            } catch (WrongType e) {
                problem(key, "expected an object { ... }");
            }
        }
        return new GtmConfigReader(ConfigFactory.empty(), path(key), problems);
    }

    /** A list of objects, each read by {@code reader} at {@code key[i]} and finished. */
    <T> List<T> objectList(String key, Function<GtmConfigReader, T> reader) {
        List<T> out = new ArrayList<>();
        if (!has(key)) {
            return out;
        }
        List<? extends ConfigObject> list;
        try {
            list = config.getObjectList(ConfigUtil.joinPath(key));
        } catch (WrongType e) {
            problem(key, "expected a list of objects [ { ... } ]");
            return out;
        }
        for (int i = 0; i < list.size(); i++) {
            GtmConfigReader r = new GtmConfigReader(list.get(i).toConfig(), path(key) + "[" + i + "]", problems);
            T t = reader.apply(r);
            r.finish();
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** Reports every key present that no getter asked for. */
    void finish() {
        List<String> keys = new ArrayList<>(config.root().keySet());
        keys.sort(null);
        for (String key : keys) {
            if (!known.contains(key)) {
                problem(key, "unknown key");
            }
        }
    }
}
