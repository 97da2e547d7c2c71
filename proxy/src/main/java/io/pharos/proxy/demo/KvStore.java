package io.pharos.proxy.demo;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * One instance's handle on a key-value store shared by several instances (processes) over one directory.
 * Every call takes the store's lock ({@link KvLog#lock()}), first reads what other instances appended since
 * this one last looked (cutting a torn tail), then answers from, or appends to, the log; a write is forced
 * to disk before its call returns, so an answered write is never lost. An Idempotency-Key goes through two
 * steps, each under the lock: {@link #claim} reserves it (or finds it answered, held or reused), then
 * {@link #apply} writes and completes it in one entry; between the two a duplicate gets
 * {@link Outcome.Kind#IN_FLIGHT}.
 *
 * <p>Thread-safe: the state and the read offset are touched only under the lock. Every method blocks on
 * the lock and on file I/O.
 */
final class KvStore implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KvStore.class.getName());

    /** What became of a write. */
    record Outcome(Kind kind, KvEntry.Response response) {
        enum Kind {
            /** Applied now; {@code response} is its answer. */
            APPLIED,
            /** Its Idempotency-Key was answered before with the same request: {@code response} is that answer, nothing applied. */
            REPLAYED,
            /** Its Idempotency-Key was used for a different request (method, path or body): 422. */
            MISMATCH,
            /** Its Idempotency-Key is held by a request still being processed (this or another instance): 409. */
            IN_FLIGHT
        }
    }

    private final KvLog log;
    private final KvOwners owners;
    /** Wall-clock milliseconds (shared by processes): when an answered key expires. */
    private final LongSupplier clock;
    private final Duration ttl;
    /** Under the lock. */
    private final KvState state = new KvState();
    /** Where this instance's reading of the log ended; under the lock. */
    private long end;

    private KvStore(KvLog log, KvOwners owners, LongSupplier clock, Duration ttl) {
        this.log = log;
        this.owners = owners;
        this.clock = clock;
        this.ttl = ttl;
    }

    /** Opens the store in {@code dir} (creating it) as a new instance named {@code name}; reads it whole. */
    static KvStore open(Path dir, String name, LongSupplier clock, Duration ttl) throws IOException {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("idempotency ttl: " + ttl + " (expected: > 0)");
        }
        KvStore store = null;
        KvLog log = KvLog.open(dir);
        try {
            store = new KvStore(log, KvOwners.register(dir, name), clock, ttl);
            try (KvLog.Held held = log.lock()) {
                store.refresh();
            }
            return store;
        } catch (IOException | RuntimeException e) {
            try (log) {
                if (store != null) {
                    store.owners.close();
                }
            }
            throw e;
        }
    }

    /** The live key, or null when absent or deleted. */
    KvStoreDump.Key get(String key) throws IOException {
        try (KvLog.Held held = log.lock()) {
            refresh();
            KvState.Key k = state.key(key);
            return k == null || k.deleted ? null : k.view();
        }
    }

    /** Every key, tombstones included, sorted. */
    Map<String, KvStoreDump.Key> dump() throws IOException {
        try (KvLog.Held held = log.lock()) {
            refresh();
            return state.keys();
        }
    }

    /**
     * Applies a write ({@code value} null for DELETE); with an {@code idempotencyKey} (and the request's
     * {@code fingerprint}) at most once per key: claim, apply, and on failure give the key back.
     */
    Outcome write(KvEntry.Op op, String key, byte[] value, String idempotencyKey, String fingerprint, String replay)
            throws IOException {
        if (idempotencyKey != null) {
            Outcome refused = claim(idempotencyKey, fingerprint);
            if (refused != null) {
                return refused;
            }
        }
        boolean answered = false;
        try {
            KvEntry.Response r = apply(op, key, value, idempotencyKey, fingerprint, replay);
            answered = true;
            return new Outcome(Outcome.Kind.APPLIED, r);
        } finally {
            if (!answered && idempotencyKey != null) {
                release(idempotencyKey);
            }
        }
    }

    /**
     * Reserves {@code idempotencyKey} for this instance and returns null, or returns why not: the kept answer
     * to the same request ({@code REPLAYED}), another request's ({@code MISMATCH}), or a live holder
     * ({@code IN_FLIGHT}). A key held by a dead instance, or answered longer than the TTL ago, is free.
     */
    Outcome claim(String idempotencyKey, String fingerprint) throws IOException {
        try (KvLog.Held held = log.lock()) {
            refresh();
            long now = clock.getAsLong();
            KvState.Claimed c = state.claimed(idempotencyKey, now, ttl);
            if (c instanceof KvState.Reserved r && !owners.alive(r.owner())) {
                LOG.log(System.Logger.Level.INFO, "kv: taking over Idempotency-Key {0} from dead instance {1}", idempotencyKey, r.owner());
                c = null;
            }
            if (c != null && !c.fingerprint().equals(fingerprint)) {
                return new Outcome(Outcome.Kind.MISMATCH, null);
            }
            if (c instanceof KvState.Completed done) {
                return new Outcome(Outcome.Kind.REPLAYED, done.response());
            }
            if (c != null) {
                return new Outcome(Outcome.Kind.IN_FLIGHT, null);
            }
            append(new KvEntry.Reserve(now, idempotencyKey, fingerprint, owners.id()), false);
            return null;
        }
    }

    /** Gives back a key this instance {@link #claim}ed and did not answer. */
    void release(String idempotencyKey) throws IOException {
        try (KvLog.Held held = log.lock()) {
            refresh();
            append(new KvEntry.Release(idempotencyKey, owners.id()), false);
        }
    }

    /** Writes {@code key} and completes {@code idempotencyKey} (when not null; this instance must hold it) in one forced entry. */
    KvEntry.Response apply(KvEntry.Op op, String key, byte[] value, String idempotencyKey, String fingerprint, String replay)
            throws IOException {
        try (KvLog.Held held = log.lock()) {
            refresh();
            if (idempotencyKey != null
                    && !(state.claimed(idempotencyKey, clock.getAsLong(), ttl) instanceof KvState.Reserved r && r.owner().equals(owners.id()))) {
                throw new IllegalStateException("Idempotency-Key " + idempotencyKey + " is not reserved by " + owners.id());
            }
            KvState.Key k = state.key(key);
            boolean exists = k != null && !k.deleted;
            long version = (k == null ? 0 : k.version) + 1;
            KvEntry.Response response;
            if (op == KvEntry.Op.DELETE) {
                response = exists ? new KvEntry.Response(204, null, null, null)
                        : new KvEntry.Response(404, null, null, KvJson.problem(404, "Not Found", "no key " + key));
            } else {
                response = new KvEntry.Response(exists ? 200 : 201, "\"" + version + "\"", exists ? null : location(key),
                        KvJson.written(key, version));
            }
            if (response.status() / 100 == 2 || idempotencyKey != null) {
                append(new KvEntry.Write(clock.getAsLong(), op, key, value, response, idempotencyKey, fingerprint, replay), true);
            }
            return response;
        }
    }

    private static String location(String key) {
        try {
            return new URI(null, null, "/kv/" + key, null).getRawPath();
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("key: " + key, e);
        }
    }

    private void refresh() throws IOException {
        KvLog.Scan scan = log.read(end);
        scan.entries().forEach(state::apply);
        end = scan.end();
        if (scan.torn()) {
            LOG.log(System.Logger.Level.WARNING, "kv: cutting a torn tail of {0} bytes at offset {1} (an instance died writing it)",
                    scan.size() - scan.end(), scan.end());
            log.truncate(end);
        }
    }

    private void append(KvEntry e, boolean force) throws IOException {
        end = log.append(end, KvEntry.encode(e), force);
        state.apply(e);
    }

    @Override
    public void close() throws IOException {
        try (log) {
            owners.close();
        }
    }
}
