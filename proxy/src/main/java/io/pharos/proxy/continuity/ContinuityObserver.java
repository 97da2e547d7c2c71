package io.pharos.proxy.continuity;

import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ClusterContinuity;
import io.pharos.proxy.l7.ExchangeHook;
import io.pharos.proxy.l7.ExchangeObserver;
import io.pharos.proxy.l7.Refusal;

/**
 * The listeners' {@link ExchangeObserver} for data continuity: a request to a cluster whose
 * {@code continuity.mode} is not {@code off} that is one of its replicated writes gets a {@link WriteHook};
 * everything else is left alone after one check. Installed on every HTTP listener for the life of the
 * proxy; the running continuity behind it is swapped by reloads ({@link #use}). Thread-safe.
 */
public final class ContinuityObserver implements ExchangeObserver {
    /** A write to a replicating cluster while continuity is not running (it failed to start). */
    private static final ExchangeHook NOT_RUNNING = new ExchangeHook() {
        @Override
        public Refusal admit() {
            return new Refusal(HttpResponseStatus.SERVICE_UNAVAILABLE, "data continuity is not running on this proxy", ReplicatedWrites.RETRY_AFTER_FULL);
        }
    };

    /** Null while no continuity runs. */
    private volatile ReplicatedWrites writes;

    /** Replicated writes go to {@code runtime} from now on; null: none is running. Control thread. */
    public void use(ContinuityRuntime runtime) {
        useWrites(runtime == null ? null : runtime.writes());
    }

    void useWrites(ReplicatedWrites writes) {
        this.writes = writes;
    }

    @Override
    public ExchangeHook onRequest(ClusterConfig cluster, HttpRequest request, boolean hasBody) {
        ClusterContinuity cc = cluster.continuity();
        if (!cc.enabled()) {
            return null;
        }
        // only the applier of a peer's writes may mark a request as a replay, and it does not come this way
        request.headers().remove(WriteRecords.REPLAY_HEADER);
        if (!WriteRecords.replicates(cc, request)) {
            return null;
        }
        ReplicatedWrites w = writes;
        return w == null ? NOT_RUNNING : new WriteHook(w, cluster.name(), cc, request, hasBody);
    }
}
