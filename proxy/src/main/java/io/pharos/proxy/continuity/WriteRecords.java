package io.pharos.proxy.continuity;

import io.netty.handler.codec.http.HttpRequest;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.continuity.journal.JournalRecord;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The rules that turn a client's write into a journal record: which requests of a cluster replicate, their
 * partition key, and which of their headers the record keeps. Pure functions; any thread.
 */
final class WriteRecords {
    /** The header a replayed write carries ({@code origin/epoch/sequence}); a client may not send it. */
    static final String REPLAY_HEADER = "pharos-replay";
    static final String IDEMPOTENCY_KEY = "idempotency-key";

    private WriteRecords() {
    }

    /** Whether {@code request} is a write {@code cc} replicates: its method is listed and its path under a listed prefix. */
    static boolean replicates(ClusterContinuity cc, HttpRequest request) {
        if (!cc.methods().contains(request.method().name())) {
            return false;
        }
        if (cc.paths().isEmpty()) {
            return true;
        }
        String path = path(request.uri());
        for (String prefix : cc.paths()) {
            if (path.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    /** The partition key of {@code request}: its path, or the configured header's value (the path when it is missing). */
    static String partitionKey(ClusterContinuity cc, HttpRequest request) {
        if (cc.partitionKey().header().isPresent()) {
            String v = request.headers().get(cc.partitionKey().header().get());
            if (v != null && !v.isEmpty()) {
                return v;
            }
        }
        return path(request.uri());
    }

    /** The request headers the record keeps: those on the allow-list, in the client's order, repeats kept. */
    static List<JournalRecord.Header> keptHeaders(ClusterContinuity cc, HttpRequest request) {
        List<JournalRecord.Header> kept = new ArrayList<>(4);
        for (Map.Entry<String, String> h : request.headers()) {
            if (cc.headers().contains(h.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(new JournalRecord.Header(h.getKey(), h.getValue()));
            }
        }
        return kept;
    }

    /** The path of a request target: origin-form without its query, or the path of an absolute-form target. */
    static String path(String target) {
        int start = 0;
        if (!target.startsWith("/")) {
            int scheme = target.indexOf("://");
            if (scheme > 0) {
                int slash = target.indexOf('/', scheme + 3);
                if (slash < 0) {
                    return "/";
                }
                start = slash;
            }
        }
        int q = target.indexOf('?', start);
        return q < 0 ? target.substring(start) : target.substring(start, q);
    }

}
