package io.pharos.proxy.continuity;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpRequest;
import io.pharos.proxy.cluster.Backend;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.continuity.journal.JournalRecord;
import io.pharos.proxy.l7.ExchangeHook;
import io.pharos.proxy.l7.Refusal;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One replicated write on its way through the proxy: gives it an Idempotency-Key when the client sent
 * none (the backend gets it, and so does the peer region), refuses it up front when continuity cannot take
 * it, spools its body (at most {@code max-body}: the record needs it before the client's answer), and once
 * its backend answered 2xx holds that answer until {@link ReplicatedWrites#commit} made the write safe.
 * Loop-confined, like its exchange.
 */
final class WriteHook implements ExchangeHook {
    private static final byte[] EMPTY = new byte[0];

    private final ReplicatedWrites writes;
    private final String cluster;
    private final ClusterContinuity cc;
    private final HttpRequest request;
    private final String idempotencyKey;
    private byte[] body = EMPTY;
    private int bodyLength;
    /** Whether the whole request body went by (or there is none). */
    private boolean bodyComplete;

    WriteHook(ReplicatedWrites writes, String cluster, ClusterContinuity cc, HttpRequest request, boolean hasBody) {
        this.bodyComplete = !hasBody;
        this.writes = writes;
        this.cluster = cluster;
        this.cc = cc;
        this.request = request;
        String key = request.headers().get(WriteRecords.IDEMPOTENCY_KEY);
        if (key == null || key.isEmpty()) {
            key = UUID.randomUUID().toString();
            request.headers().set(WriteRecords.IDEMPOTENCY_KEY, key);
        }
        this.idempotencyKey = key;
    }

    @Override
    public Refusal admit() {
        return writes.admit(cc, HttpUtil.getContentLength(request, -1L));
    }

    @Override
    public Refusal onRequestBody(ByteBuf content, boolean last) {
        int n = content.readableBytes();
        if (last) {
            bodyComplete = true;
        }
        if (n == 0) {
            return null;
        }
        if ((long) bodyLength + n > cc.maxBody()) {
            body = EMPTY;
            return writes.bodyTooLarge(cc);
        }
        if (bodyLength + n > body.length) {
            body = Arrays.copyOf(body, (int) Math.min(cc.maxBody(), Math.max(bodyLength + n, Math.max(256, body.length * 2L))));
        }
        content.getBytes(content.readerIndex(), body, bodyLength, n);
        bodyLength += n;
        return null;
    }

    @Override
    public CompletionStage<Refusal> onResponseHead(HttpResponse response, Backend backend) {
        int status = response.status().code();
        if (status < 200 || status > 299) {
            // the backend did not apply it: nothing to replicate
            return null;
        }
        if (!bodyComplete) {
            // the backend answered before the whole body arrived: the record would replay half a request
            return CompletableFuture.completedFuture(writes.incompleteBody());
        }
        byte[] bytes = bodyLength == body.length ? body : Arrays.copyOf(body, bodyLength);
        body = EMPTY;
        JournalRecord record = JournalRecord.unsequenced(writes.region(), cluster, writes.epoch(),
                WriteRecords.partitionKey(cc, request), idempotencyKey, request.method().name(), request.uri(),
                keptHeaders(), bytes, status, response.headers().get(HttpHeaderNames.ETAG),
                response.headers().get(HttpHeaderNames.LOCATION));
        return writes.commit(cc, record);
    }

    private List<JournalRecord.Header> keptHeaders() {
        return WriteRecords.keptHeaders(cc, request);
    }

    @Override
    public void onEnd(int status, boolean completed) {
        body = EMPTY;
    }
}
