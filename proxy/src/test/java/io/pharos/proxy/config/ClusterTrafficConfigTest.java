package io.pharos.proxy.config;

import io.pharos.proxy.config.PharosConfig.ClusterConfig;
import io.pharos.proxy.config.PharosConfig.ProxyProtocolVersion;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cluster keys for traffic to backends: {@code proxy-protocol.send} and {@code upstream-tls}. */
class ClusterTrafficConfigTest {

    private static String hocon(String clusterExtra) {
        return "pharos { listeners = [ { name = t, listen = \"127.0.0.1:0\", protocol = tcp, cluster = c } ]\n"
                + " clusters { c { backends = [ { name = b, address = \"127.0.0.1:9\" } ]\n" + clusterExtra + " } } }";
    }

    private static ClusterConfig cluster(String extra) throws ConfigException {
        return ConfigLoader.parse(hocon(extra)).clusters().get("c");
    }

    private static List<String> problems(String extra) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.parse(hocon(extra))).problems();
    }

    @Test
    void defaultsSendNothingAndUsePlaintext() throws Exception {
        ClusterConfig c = cluster("");
        assertEquals(ProxyProtocolVersion.NONE, c.proxyProtocolSend());
        assertTrue(c.upstreamTls().isEmpty());
    }

    @Test
    void parsesSendAndUpstreamTls() throws Exception {
        ClusterConfig c = cluster("proxy-protocol { send = v2 }\n upstream-tls { server-name = db.internal }");
        assertEquals(ProxyProtocolVersion.V2, c.proxyProtocolSend());
        assertEquals("db.internal", c.upstreamTls().orElseThrow().serverName().orElseThrow());
        assertFalse(c.upstreamTls().orElseThrow().insecureSkipVerify());
        assertTrue(c.upstreamTls().orElseThrow().caFile().isEmpty());
        assertTrue(cluster("upstream-tls { enabled = false }").upstreamTls().isEmpty());
        assertTrue(cluster("upstream-tls { insecure-skip-verify = true }").upstreamTls().orElseThrow().insecureSkipVerify());
    }

    @Test
    void reportsBadValuesWithTheirPath() {
        List<String> p = problems("proxy-protocol { send = v3 }");
        assertEquals(1, p.size(), p.toString());
        assertTrue(p.get(0).startsWith("pharos.clusters.c.proxy-protocol.send"), p.get(0));
        List<String> missing = problems("upstream-tls { ca-file = \"/nonexistent/ca.pem\" }");
        assertTrue(missing.get(0).contains("upstream-tls.ca-file"), missing.toString());
        List<String> contradiction = problems("upstream-tls { ca-file = \"/etc/hostname\", insecure-skip-verify = true }");
        assertTrue(contradiction.stream().anyMatch(s -> s.contains("insecure-skip-verify")), contradiction.toString());
        List<String> unknown = problems("upstream-tls { verify = false }");
        assertTrue(unknown.get(0).contains("upstream-tls.verify"), unknown.toString());
    }
}
