package io.pharos.proxy.lb;

import io.pharos.proxy.cluster.PickContext;
/** Bounds shared by the algorithms. */
final class Selection {
    /**
     * Draws one pick makes before it falls back to {@link Candidates#firstUntried}: covers the tried
     * backends of a request ({@link PickContext#MAX_TRIES}) and slow-start rejections with room to spare.
     */
    static final int MAX_ATTEMPTS = 32;

    private Selection() {
    }
}
