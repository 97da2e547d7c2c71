package io.pharos.proxy.tls;

import io.netty.handler.ssl.SslContext;
import io.netty.util.DomainWildcardMappingBuilder;
import io.netty.util.Mapping;
import io.pharos.proxy.config.PharosConfig.SniCertificate;
import io.pharos.proxy.config.PharosConfig.TlsConfig;
import io.pharos.proxy.tls.PemFiles.PemException;

import javax.net.ssl.SSLException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * One immutable generation of a listener's certificates: the default context and the SNI mapping
 * (exact names and {@code *.domain} wildcards), and the warnings found while building them (a certificate
 * outside its validity period). Built on the control thread, read by event loops.
 *
 * <p>Problems and warnings name the config path relative to the listener ({@code tls.key},
 * {@code tls.sni[0].certificate}), then the file and the reason.
 */
record CertificateSet(SslContext defaultContext, Mapping<String, SslContext> mapping, List<String> warnings) {

    static CertificateSet build(TlsConfig config, Alpn alpn, Clock clock) throws TlsException {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        SslContext def = buildOne(config.certificate(), config.key(), config, alpn, clock, problems, warnings, "tls");
        List<SslContext> sni = new ArrayList<>();
        for (int i = 0; i < config.sni().size(); i++) {
            SniCertificate s = config.sni().get(i);
            sni.add(buildOne(s.certificate(), s.key(), config, alpn, clock, problems, warnings, "tls.sni[" + i + "]"));
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
        return new CertificateSet(def, mb.build(), List.copyOf(warnings));
    }

    private static SslContext buildOne(Path cert, Path key, TlsConfig config, Alpn alpn, Clock clock,
                                       List<String> problems, List<String> warnings, String where) {
        X509Certificate[] chain = null;
        PrivateKey privateKey = null;
        try {
            chain = PemFiles.certificates(cert);
        } catch (PemException e) {
            problems.add(where + ".certificate: " + e.getMessage());
        }
        try {
            privateKey = PemFiles.privateKey(key);
        } catch (PemException e) {
            problems.add(where + ".key: " + e.getMessage());
        }
        if (chain == null || privateKey == null) {
            return null;
        }
        String mismatch = KeyMatch.mismatch(chain[0], privateKey);
        if (mismatch != null) {
            problems.add(where + ".key: " + key + " and certificate " + cert + ": " + mismatch);
            return null;
        }
        for (String w : KeyMatch.validityWarnings(chain[0], clock.instant())) {
            warnings.add(where + ".certificate: " + cert + ": " + w);
        }
        try {
            return ServerContexts.build(chain, privateKey, config, alpn);
        } catch (SSLException | RuntimeException e) {
            problems.add(where + ": cannot use certificate " + cert + " with key " + key + ": " + rootMessage(e));
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
