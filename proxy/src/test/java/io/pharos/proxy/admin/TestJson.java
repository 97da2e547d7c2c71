package io.pharos.proxy.admin;

import java.util.List;
import java.util.Map;

/**
 * The admin API's strict JSON parser for tests in other packages (answers of {@code GET /continuity},
 * lines of {@code pharos journal dump --json}), with typed accessors that fail with the path they
 * looked for. Stateless; any thread.
 */
public final class TestJson {
    private TestJson() {
    }

    /** Parses one JSON value; malformed text fails with the text in the message. */
    public static Object parse(String text) {
        try {
            return JsonReader.parse(text);
        } catch (JsonReader.JsonException e) {
            throw new AssertionError("not JSON (" + e.getMessage() + "): " + text, e);
        }
    }

    /** The object {@code text} holds. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new AssertionError("not a JSON object: " + text);
        }
        return (Map<String, Object>) v;
    }

    /** {@code o.a.b...}: the value at a path of object keys, or null when a key is missing or null. */
    public static Object at(Map<String, Object> o, String... path) {
        Object v = o;
        for (String key : path) {
            if (!(v instanceof Map<?, ?> m)) {
                return null;
            }
            v = m.get(key);
        }
        return v;
    }

    /** The number at {@code path}; fails when it is absent or not an integer. */
    public static long number(Map<String, Object> o, String... path) {
        Object v = at(o, path);
        if (!(v instanceof Long n)) {
            throw new AssertionError("no integer at " + String.join(".", path) + " in " + o);
        }
        return n;
    }

    /** The list at {@code path}, empty when absent or null. */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> o, String... path) {
        Object v = at(o, path);
        return v instanceof List ? (List<Object>) v : List.of();
    }
}
