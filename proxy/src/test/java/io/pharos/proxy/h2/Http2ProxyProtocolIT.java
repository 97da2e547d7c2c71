package io.pharos.proxy.h2;

import io.pharos.proxy.testing.ProxyHarness;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every HTTP/2 stream of a connection that began with a PROXY header is forwarded with that client's address. */
class Http2ProxyProtocolIT {

    @Test
    void streamsCarryTheAnnouncedClient() throws Exception {
        try (ProxyHarness h = new ProxyHarness()) {
            h.addBackend("b1");
            h.start("pharos {\n workers = 2\n listeners = [ { name = web, listen = \"127.0.0.1:0\", protocol = http, cluster = app,"
                    + " proxy-protocol { accept = true } } ]\n clusters { app { backends = [\n" + h.backendsHocon() + " ] } }\n}\n");
            byte[] header = "PROXY TCP4 203.0.113.77 127.0.0.1 5000 80\r\n".getBytes(StandardCharsets.US_ASCII);
            try (RawH2 c = new RawH2(h.port(), header)) {
                c.headers(1, RawH2.get("/headers"), true).headers(3, RawH2.get("/headers"), true).flush();
                StringBuilder bodies = new StringBuilder();
                int ended = 0;
                RawH2.Frame f;
                while (ended < 2 && (f = c.read()) != null) {
                    if (f.type() == RawH2.DATA) {
                        bodies.append(new String(f.payload(), StandardCharsets.ISO_8859_1));
                    }
                    if ((f.type() == RawH2.DATA || f.type() == RawH2.HEADERS) && (f.flags() & RawH2.END_STREAM) != 0) {
                        ended++;
                    }
                }
                String all = bodies.toString();
                assertNotNull(all);
                assertTrue(all.split("x-forwarded-for: 203.0.113.77", -1).length == 3, "both streams: " + all);
            }
        }
    }
}
