package io.pharos.proxy.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.pharos.proxy.config.PharosConfig.SniCertificate;
import io.pharos.proxy.config.PharosConfig.TlsConfig;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One immutable generation of a listener's certificates: the default context and the SNI mapping
 * (exact names and {@code *.domain} wildcards). Built on the control thread, read by event loops.
 */
record CertificateSet(SslContext defaultContext, Mapping<String, SslContext> mapping) {

    static CertificateSet build(TlsConfig config, Alpn alpn) throws TlsException {
        List<String> problems = new ArrayList<>();
        SslContext def = buildOne(config.certificate(), config.key(), config, alpn, problems, "tls");
        List<SslContext> sni = new ArrayList<>();
        for (int i = 0; i < config.sni().size(); i++) {
            SniCertificate s = config.sni().get(i);
            sni.add(buildOne(s.certificate(), s.key(), config, alpn, problems, "tls.sni[" + i + "]"));
        }
        if (!problems.isEmpty()) {
            throw new TlsException(problems);
        }
        DomainWildcardMappingBuilder<SslContext> mb = new DomainWildcardMappingBuilder<>(def);
        for (int i = 0; i < config.sni().size(); i++) {
            for (String name : config.sni().get(i).names()) {
                mb.add(name, sni.get(i));
            }
        }
        return new CertificateSet(def, mb.build());
    }

    private static SslContext buildOne(Path cert, Path key, TlsConfig config, Alpn alpn,
                                       List<String> problems, String where) {
        try {
            return ServerContexts.build(cert, key, config, alpn);
        } catch (SSLException | RuntimeException e) {
            problems.add(where + ": cannot load certificate " + cert + " with key " + key + ": " + rootMessage(e));
            return null;
        }
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }
}
