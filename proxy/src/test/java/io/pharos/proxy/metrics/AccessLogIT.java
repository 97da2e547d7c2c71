package io.pharos.proxy.metrics;

import io.pharos.proxy.testing.RawHttp;
import io.pharos.proxy.testing.RuntimeHarness;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.pharos.health.testing.Await.within;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The access log, when enabled: one JSON line per request, written by its own thread. */
class AccessLogIT {

    @Test
    void oneJsonLinePerRequest() throws Exception {
        try (RuntimeHarness h = new RuntimeHarness()) {
            h.addBackend("b1");
            Path log = h.dir().resolve("access.log");
            h.start("pharos {\n workers = 1\n admin { listen = \"127.0.0.1:0\" }\n"
                    + " access-log { enabled = true, file = \"" + log + "\" }\n"
                    + " listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app } ]\n"
                    + " clusters { app { backends = [\n" + h.backendsHocon("b1") + " ] } }\n}\n");
            try (RawHttp c = new RawHttp(h.port("web"))) {
                assertEquals(200, c.send("GET /a?q=\"x\" HTTP/1.1\r\nHost: t\r\n\r\n").read().status());
                assertEquals(404, c.send("POST /status?code=404 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n").read().status());
            }
            assertTrue(within(Duration.ofSeconds(10), () -> Files.exists(log) && Files.readAllLines(log).size() == 2));
            List<String> lines = Files.readAllLines(log);
            assertTrue(lines.get(0).matches("\\{\"time\":\"[0-9T:.\\-]+Z\",\"listener\":\"web\",\"method\":\"GET\",\"uri\":\"/a\\?q=\\\\\"x\\\\\"\","
                    + "\"status\":200,\"backend\":\"b1\",\"duration_ms\":[0-9.E\\-]+}"), lines.get(0));
            assertTrue(lines.get(1).contains("\"method\":\"POST\",\"uri\":\"/status?code=404\",\"status\":404,\"backend\":\"b1\""), lines.get(1));
        }
    }
}
