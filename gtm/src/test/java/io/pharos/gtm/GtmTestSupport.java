package io.pharos.gtm;

/** Builds sidecar configs against a test {@link BindServer}. */
final class GtmTestSupport {
    private GtmTestSupport() {
    }

    /**
     * A two-region config (primary 127.0.0.2, secondary 127.0.0.3) pointed at {@code bind}.
     *
     * @param secret      the TSIG secret to use (the server's, or a wrong one)
     * @param primaryUrl  probe URL of the primary region
     * @param secondaryUrl probe URL of the secondary region
     * @param extra       extra HOCON inside {@code gtm { }}
     */
    static GtmConfig config(BindServer bind, String secret, String primaryUrl, String secondaryUrl, String extra)
            throws GtmConfigException {
        String text = """
                gtm {
                  names = ["app.example.test"]
                  ttl = 5s
                  regions = [
                    { name = primary, addresses = ["127.0.0.2"], probe { type = http, url = "%s" } }
                    { name = secondary, addresses = ["127.0.0.3"], probe { type = http, url = "%s" } }
                  ]
                  interval = 200ms
                  fast-interval = 100ms
                  timeout = 2s
                  failure-threshold = 2
                  recovery-threshold = 3
                  min-hold = 1s
                  dns {
                    servers = ["127.0.0.1:%d"]
                    zone = "example.test"
                    timeout = 2s
                    retry-initial = 100ms
                    retry-max = 500ms
                    tsig { name = "%s", secret-env = "SECRET" }
                  }
                  admin { listen = "127.0.0.1:0" }
                  %s
                }
                """.formatted(primaryUrl, secondaryUrl, bind.port, BindServer.KEY_NAME, extra);
        return GtmConfigLoader.parse(text, n -> n.equals("SECRET") ? secret : null);
    }
}
