package io.pharos.proxy.l7.retry;

import io.pharos.proxy.cluster.Cluster;
import io.pharos.proxy.config.ConfigLoader;
import io.pharos.proxy.lb.ConfiguredLoadBalancerFactory;

/** Round-robin clusters named {@code app} for the retry tests, their backends on unused loopback ports. */
final class RetryTestClusters {
    private RetryTestClusters() {
    }

    /** A cluster of backends {@code names} (at 127.0.0.1:1, :2, ...); {@code extra} goes into the cluster block. */
    static Cluster cluster(String extra, String... names) throws Exception {
        StringBuilder backends = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            backends.append(i == 0 ? "" : ", ").append("{ name = ").append(names[i]).append(", address = \"127.0.0.1:").append(i + 1).append("\" }");
        }
        return new Cluster(ConfigLoader.parse("pharos {\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                + " clusters.app {\n balancer = round-robin\n backends = [ " + backends + " ]\n " + extra + "\n }\n}")
                .clusters().get("app"), System::nanoTime, ConfiguredLoadBalancerFactory::of);
    }
}
