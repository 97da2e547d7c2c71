package io.pharos.proxy.l7;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpResponse;
import io.pharos.proxy.cluster.Backend;

import java.util.concurrent.CompletionStage;

/** STUB (replaced by the seam branch). */
public interface ExchangeHook {
    default Refusal admit() {
        return null;
    }

    default Refusal onRequestBody(ByteBuf content, boolean last) {
        return null;
    }

    default CompletionStage<Refusal> onResponseHead(HttpResponse response, Backend backend) {
        return null;
    }

    default void onEnd(int status, boolean completed) {
    }
}
