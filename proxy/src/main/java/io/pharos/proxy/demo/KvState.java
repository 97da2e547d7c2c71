package io.pharos.proxy.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the entries of a store's log add up to: every key, and every Idempotency-Key with its
 * reservation or its kept answer. Applying the same entries in the same order gives the same state in
 * every instance. Not thread-safe: {@link KvStore} confines it to whoever holds the store's lock.
 */
final class KvState {
    /** One key; mutable, only under the store's lock. */
    static final class Key {
        long version;
        boolean deleted;
        final List<byte[]> values = new ArrayList<>();
        final List<String> idempotencyKeys = new ArrayList<>();
        final List<String> replays = new ArrayList<>();

        KvStoreDump.Key view() {
            return new KvStoreDump.Key(version, deleted, List.copyOf(values), List.copyOf(idempotencyKeys), List.copyOf(replays));
        }
    }

    /** Where an Idempotency-Key stands. */
    sealed interface Claimed {
        String fingerprint();
    }

    /** A request holds the key and has not answered yet. */
    record Reserved(String fingerprint, String owner) implements Claimed {
    }

    /** The key's request was answered with {@code response} at {@code timeMillis}. */
    record Completed(String fingerprint, KvEntry.Response response, long timeMillis) implements Claimed {
    }

    private final TreeMap<String, Key> keys = new TreeMap<>();
    private final Map<String, Claimed> idempotency = new HashMap<>();

    void apply(KvEntry entry) {
        switch (entry) {
            case KvEntry.Reserve r -> idempotency.put(r.idempotencyKey(), new Reserved(r.fingerprint(), r.owner()));
            case KvEntry.Release r -> {
                if (idempotency.get(r.idempotencyKey()) instanceof Reserved held && held.owner().equals(r.owner())) {
                    idempotency.remove(r.idempotencyKey());
                }
            }
            case KvEntry.Write w -> {
                if (w.idempotencyKey() != null) {
                    idempotency.put(w.idempotencyKey(), new Completed(w.fingerprint(), w.response(), w.timeMillis()));
                }
                if (w.applied()) {
                    write(w);
                }
            }
        }
    }

    private void write(KvEntry.Write w) {
        Key k = keys.computeIfAbsent(w.key(), x -> new Key());
        if (k.deleted || w.op() != KvEntry.Op.APPEND) {
            k.values.clear();
        }
        k.deleted = w.op() == KvEntry.Op.DELETE;
        if (!k.deleted) {
            k.values.add(w.value());
        }
        k.version++;
        if (w.idempotencyKey() != null) {
            k.idempotencyKeys.add(w.idempotencyKey());
        }
        if (w.replay() != null) {
            k.replays.add(w.replay());
        }
    }

    /** The key, or null when it never existed (a deleted key is returned, flagged). */
    Key key(String key) {
        return keys.get(key);
    }

    /**
     * Where {@code idempotencyKey} stands, or null when it is unknown or its answer is older than
     * {@code ttl} at {@code nowMillis} (then it is forgotten, and a new request with it applies again).
     */
    Claimed claimed(String idempotencyKey, long nowMillis, Duration ttl) {
        Claimed c = idempotency.get(idempotencyKey);
        if (c instanceof Completed done && nowMillis - done.timeMillis() >= ttl.toMillis()) {
            idempotency.remove(idempotencyKey);
            return null;
        }
        return c;
    }

    /** A copy of every key, sorted. */
    Map<String, KvStoreDump.Key> keys() {
        Map<String, KvStoreDump.Key> out = new TreeMap<>();
        keys.forEach((k, v) -> out.put(k, v.view()));
        return Collections.unmodifiableMap(out);
    }
}
