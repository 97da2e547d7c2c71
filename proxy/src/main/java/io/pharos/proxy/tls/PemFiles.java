package io.pharos.proxy.tls;

import io.netty.handler.ssl.SslContext;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/**
 * Reads PEM certificate chains and private keys with the same parser Netty's contexts use (its
 * {@code SslContext} helpers, reached by extending it; never instantiated), so that a pair can be checked
 * before it is served. Each failure is an exception naming the file and the reason. Reads files: control thread.
 */
abstract class PemFiles extends SslContext {
    private PemFiles() {
    }

    /** The certificates of {@code file}, leaf first. */
    static X509Certificate[] certificates(Path file) throws PemException {
        byte[] pem = read(file);
        try {
            X509Certificate[] chain = toX509Certificates(new ByteArrayInputStream(pem));
            if (chain == null || chain.length == 0) {
                throw new PemException(file + ": no certificate in the file (expected PEM -----BEGIN CERTIFICATE-----)");
            }
            return chain;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new PemException(file + ": not a PEM certificate (" + e.getMessage() + ")");
        }
    }

    /** The private key of {@code file} (PKCS#8, or PKCS#1/SEC1 where the engine reads them), unencrypted. */
    static PrivateKey privateKey(Path file) throws PemException {
        byte[] pem = read(file);
        try {
            PrivateKey key = toPrivateKey(new ByteArrayInputStream(pem), null);
            if (key == null) {
                throw new PemException(file + ": no private key in the file");
            }
            return key;
        } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
            throw new PemException(file + ": not a PEM private key (" + e.getMessage() + ")");
        }
    }

    private static byte[] read(Path file) throws PemException {
        if (Files.isDirectory(file)) {
            throw new PemException(file + ": is a directory, not a file");
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new PemException(file + ": no such file");
        } catch (AccessDeniedException e) {
            throw new PemException(file + ": not readable (permission denied)");
        } catch (IOException e) {
            throw new PemException(file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** A PEM file that cannot be used; the message names the file. */
    static final class PemException extends Exception {
        PemException(String message) {
            super(message);
        }
    }
}
