package io.pharos.proxy.demo;

import io.pharos.health.JsonText;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** The JSON bodies of the key-value app (docs/kv-app.md). Stateless; any thread. */
final class KvJson {
    private KvJson() {
    }

    /** The body of a 200/201 to PUT and POST: {@code {"key":..,"version":..}}. */
    static byte[] written(String key, long version) {
        StringBuilder sb = new StringBuilder("{\"key\":");
        JsonText.quote(sb, key).append(",\"version\":").append(version).append('}');
        return bytes(sb);
    }

    /** The body of {@code GET /kv/{key}}. */
    static byte[] key(String key, KvStoreDump.Key k) {
        StringBuilder sb = new StringBuilder("{\"key\":");
        JsonText.quote(sb, key);
        values(sb, k).append('}');
        return bytes(sb);
    }

    /** The body of {@code GET /kv}: every key, tombstones included, with the writes' Idempotency-Keys and replays. */
    static byte[] dump(String instance, Map<String, KvStoreDump.Key> keys) {
        StringBuilder sb = new StringBuilder("{\"instance\":");
        JsonText.quote(sb, instance).append(",\"keys\":{");
        boolean first = true;
        for (Map.Entry<String, KvStoreDump.Key> e : keys.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            JsonText.quote(sb, e.getKey()).append(":{\"deleted\":").append(e.getValue().deleted());
            values(sb, e.getValue()).append(",\"idempotencyKeys\":");
            strings(sb, e.getValue().idempotencyKeys()).append(",\"replays\":");
            strings(sb, e.getValue().replays()).append('}');
        }
        return bytes(sb.append("}}"));
    }

    /** An RFC 9457 problem ({@code application/problem+json}). */
    static byte[] problem(int status, String title, String detail) {
        StringBuilder sb = new StringBuilder("{\"type\":\"about:blank\",\"status\":").append(status).append(",\"title\":");
        JsonText.quote(sb, title).append(",\"detail\":");
        JsonText.quote(sb, detail).append('}');
        return bytes(sb);
    }

    /** {@code ,"version":N,"encoding":"utf8"|"base64","values":[..]}: base64 for all values unless every one is UTF-8. */
    private static StringBuilder values(StringBuilder sb, KvStoreDump.Key k) {
        boolean utf8 = k.values().stream().allMatch(KvJson::isUtf8);
        sb.append(",\"version\":").append(k.version()).append(",\"encoding\":\"").append(utf8 ? "utf8" : "base64")
                .append("\",\"values\":[");
        for (int i = 0; i < k.values().size(); i++) {
            byte[] v = k.values().get(i);
            JsonText.quote(sb.append(i == 0 ? "" : ","), utf8 ? new String(v, StandardCharsets.UTF_8) : Base64.getEncoder().encodeToString(v));
        }
        return sb.append(']');
    }

    private static StringBuilder strings(StringBuilder sb, List<String> list) {
        sb.append('[');
        for (int i = 0; i < list.size(); i++) {
            JsonText.quote(sb.append(i == 0 ? "" : ","), list.get(i));
        }
        return sb.append(']');
    }

    private static boolean isUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static byte[] bytes(StringBuilder sb) {
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
