package io.pharos.proxy.admin;

import io.pharos.proxy.testing.ProxyProcess;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy JVM refuses to start with a non-loopback admin listener and no token. */
class AdminStartIT {

    @Test
    void nonLoopbackAdminWithoutTokenExitsTwo() throws Exception {
        Path file = Files.createTempFile("pharos-admin", ".conf");
        try {
            Files.writeString(file, "pharos {\n admin { listen = \"0.0.0.0:" + ProxyProcess.freePort() + "\" }\n"
                    + " listeners = [ { name = web, listen = \"127.0.0.1:" + ProxyProcess.freePort() + "\", cluster = app } ]\n"
                    + " clusters { app { backends = [ { name = a, address = \"127.0.0.1:1\" } ] } }\n}\n");
            try (ProxyProcess p = ProxyProcess.start(List.of(), "proxy", "-c", file.toString())) {
                assertEquals(2, p.waitFor(Duration.ofSeconds(60)), p.output());
                assertTrue(p.output().contains("pharos.admin.token: required when admin.listen (0.0.0.0:"), p.output());
            }
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
