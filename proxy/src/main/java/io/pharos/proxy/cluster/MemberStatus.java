package io.pharos.proxy.cluster;

import java.util.OptionalInt;

/**
 * What an operator reads about one member beside its weight and state: where the weight comes from and
 * why the member is in its state, as the snapshot that holds it saw it. Built by {@link Cluster}'s
 * writers (control thread), never read on the request path. Immutable.
 *
 * @param configWeight       the weight the config gives it
 * @param weightOverride     the operator's weight ({@code PUT …/weight}), which wins over the config's
 * @param reason             why it entered its current state ({@code active check failed: status 500},
 *                           {@code ejected: 5 consecutive gateway failures (for 30000 ms)}, {@code operator},
 *                           {@code config}, ...)
 * @param sinceMillis        wall-clock time it entered its current state
 * @param ejectedUntilMillis wall-clock time its passive ejection ends at the earliest (it also waits for
 *                           active checks to pass when the cluster has them); 0 when it is not ejected
 */
public record MemberStatus(int configWeight, OptionalInt weightOverride, String reason, long sinceMillis,
                           long ejectedUntilMillis) {

    /** A member as the config made it: no override, no ejection. */
    static MemberStatus fromConfig(int weight) {
        return new MemberStatus(weight, OptionalInt.empty(), "config", 0, 0);
    }
}
