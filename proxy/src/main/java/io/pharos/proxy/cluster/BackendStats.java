package io.pharos.proxy.cluster;

import java.util.concurrent.atomic.LongAdder;

/**
 * Every traffic counter of one backend, in one place: bumped by event loops without locks, read by
 * the metrics reporter and the admin API. It lives as long as its {@link Backend} (so across reloads
 * that keep it). The load-balancing inputs (in-flight count, latency EWMA) stay on the {@link Backend}.
 */
public final class BackendStats {
    /** Requests (L7) or connections (L4) started; written by event loops through {@link Backend#onStart()}. */
    private final LongAdder requests = new LongAdder();
    /** Backend connections opened; written by event loops. */
    private final LongAdder connectionsOpened = new LongAdder();
    /** Failures seen by the request path (connect failures, resets, timeouts, 5xx gateway errors). */
    private final LongAdder failures = new LongAdder();
    private final LongAdder[] responses = {new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder()};
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder ejections = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder h2Streams = new LongAdder();
    private final BucketedLatency responseTime = new BucketedLatency();

    /** A request or connection started using this backend (counted by {@link Backend#onStart()}). */
    void onRequest() {
        requests.increment();
    }

    public void onConnectionOpened() {
        connectionsOpened.increment();
    }

    public void onFailure() {
        failures.increment();
    }

    /** A response head from this backend with {@code status} (100..599) reached the client. */
    public void onResponse(int status) {
        int cls = status / 100;
        if (cls >= 1 && cls <= 5) {
            responses[cls - 1].increment();
        }
    }

    /** A response head arrived {@code nanos} after the whole request was sent to this backend. */
    public void recordResponseTime(long nanos) {
        responseTime.record(nanos);
    }

    /** Time from the request sent to the response head, per response from this backend. */
    public BucketedLatency responseTime() {
        return responseTime;
    }

    /** Bytes sent to the backend on the wire (L7: {@link BackendByteCounter}; L4: the relayed stream). */
    public void addBytesSent(long n) {
        bytesSent.add(n);
    }

    /** Bytes received from the backend on the wire (L7: {@link BackendByteCounter}; L4: the relayed stream). */
    public void addBytesReceived(long n) {
        bytesReceived.add(n);
    }

    /** The backend entered the ejected state (counted from published snapshots). */
    public void onEjected() {
        ejections.increment();
    }

    /** A request (L7) or connection (L4) that failed on another backend was tried here. */
    public void onRetry() {
        retries.increment();
    }

    /** An HTTP/2 stream to this backend was opened ({@code protocol = h2} clusters). */
    public void onH2Stream() {
        h2Streams.increment();
    }

    public long requests() {
        return requests.sum();
    }

    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    public long failures() {
        return failures.sum();
    }

    public long h2Streams() {
        return h2Streams.sum();
    }

    public long retries() {
        return retries.sum();
    }

    public long ejections() {
        return ejections.sum();
    }

    /** Responses of status class {@code cls} (1..5). */
    public long responses(int cls) {
        return responses[cls - 1].sum();
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public long bytesReceived() {
        return bytesReceived.sum();
    }
}
