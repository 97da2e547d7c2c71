package io.pharos.proxy.l7;

import io.netty.handler.codec.http.HttpRequest;
import io.pharos.proxy.config.PharosConfig.ClusterConfig;

/** {@link ExchangeObserver#noop()}: hooks no exchange. Stateless, any thread. */
final class NoopExchangeObserver implements ExchangeObserver {
    static final NoopExchangeObserver INSTANCE = new NoopExchangeObserver();

    private NoopExchangeObserver() {
    }

    @Override
    public ExchangeHook onRequest(ClusterConfig cluster, HttpRequest request, boolean hasBody) {
        return null;
    }
}
