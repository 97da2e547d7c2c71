package io.pharos.proxy.tls;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAKey;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Checks a certificate and its key before they are served: the key must belong to the certificate (a
 * mismatched pair loads in BoringSSL and fails every handshake with {@code KEY_VALUES_MISMATCH}), and a
 * certificate outside its validity period is worth a warning. Pure functions; any thread.
 */
final class KeyMatch {
    private static final byte[] CHALLENGE = "pharos key check".getBytes(StandardCharsets.US_ASCII);

    private KeyMatch() {
    }

    /** Null when {@code key} is the private half of {@code leaf}'s public key; else the reason. */
    static String mismatch(X509Certificate leaf, PrivateKey key) {
        PublicKey pub = leaf.getPublicKey();
        if (pub instanceof RSAPublicKey rsa && key instanceof RSAKey rsaKey) {
            return rsa.getModulus().equals(rsaKey.getModulus()) ? null : "the key does not belong to the certificate (RSA moduli differ)";
        }
        String algorithm = signatureAlgorithm(key.getAlgorithm());
        if (algorithm == null || !sameFamily(pub.getAlgorithm(), key.getAlgorithm())) {
            return "the key does not belong to the certificate (" + key.getAlgorithm() + " key, " + pub.getAlgorithm() + " certificate)";
        }
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(CHALLENGE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(pub);
            verifier.update(CHALLENGE);
            return verifier.verify(signature) ? null : "the key does not belong to the certificate (a signature with the key does not verify with the certificate)";
        } catch (GeneralSecurityException e) {
            return "the key does not belong to the certificate (" + e.getMessage() + ")";
        }
    }

    /** One line per validity problem of {@code leaf} at {@code now}: expired, or not valid yet. */
    static List<String> validityWarnings(X509Certificate leaf, Instant now) {
        List<String> out = new ArrayList<>();
        Instant notAfter = leaf.getNotAfter().toInstant();
        Instant notBefore = leaf.getNotBefore().toInstant();
        if (now.isAfter(notAfter)) {
            out.add("certificate expired on " + notAfter.truncatedTo(ChronoUnit.SECONDS)
                    + " (" + subject(leaf) + "); clients will refuse it");
        } else if (now.isBefore(notBefore)) {
            out.add("certificate is not valid before " + notBefore.truncatedTo(ChronoUnit.SECONDS)
                    + " (" + subject(leaf) + "); clients will refuse it until then");
        }
        return out;
    }

    private static String subject(X509Certificate leaf) {
        return leaf.getSubjectX500Principal().getName();
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm.toUpperCase(Locale.ROOT)) {
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "ED25519", "ED448", "EDDSA" -> keyAlgorithm;
            default -> null;
        };
    }

    private static boolean sameFamily(String a, String b) {
        return a.equalsIgnoreCase(b) || (isEdDsa(a) && isEdDsa(b));
    }

    private static boolean isEdDsa(String a) {
        return a.equalsIgnoreCase("EdDSA") || a.equalsIgnoreCase("Ed25519") || a.equalsIgnoreCase("Ed448");
    }
}
