package io.pharos.proxy.continuity.apply;

/**
 * Which answers of the application apply a replayed record (the applied watermark may pass it) and which
 * are tried again. Pure; any thread.
 */
final class Outcome {
    private Outcome() {
    }

    /**
     * 2xx: applied. 422: the Idempotency-Key was used before with another request (IETF draft): the key's
     * first request was applied, replaying is pointless. A DELETE answered 404 or 410: the resource is
     * already gone. Anything else is tried again, 409 included: in the Idempotency-Key draft (and at Stripe)
     * 409 means the key's first request is still in flight, and it may yet fail and release the key.
     */
    static boolean applied(String method, int status) {
        if (status >= 200 && status < 300) {
            return true;
        }
        if (status == 422) {
            return true;
        }
        return method.equals("DELETE") && (status == 404 || status == 410);
    }
}
