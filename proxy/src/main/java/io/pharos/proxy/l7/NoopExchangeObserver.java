package io.pharos.proxy.l7;

/** {@link ExchangeObserver#noop()}: the interface's defaults, which observe nothing. Stateless, any thread. */
final class NoopExchangeObserver implements ExchangeObserver {
    static final NoopExchangeObserver INSTANCE = new NoopExchangeObserver();

    private NoopExchangeObserver() {
    }
}
