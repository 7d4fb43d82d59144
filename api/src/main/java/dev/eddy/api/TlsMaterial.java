package dev.eddy.api;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.encoders.DecoderException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The certificate and key the TLS port serves: the files given by {@code --tls-cert}/{@code --tls-key}, or a
 * self-signed pair in {@code <data-dir>/tls}, generated at the first start and reused afterwards. Immutable;
 * {@link #resolveBlocking} reads (and may write) files, so it runs on a worker thread or before any event loop.
 *
 * @param certPath    the PEM certificate (chain) file
 * @param keyPath     the PEM private key file
 * @param fingerprint the SHA-256 fingerprint of the (first) certificate's DER encoding, {@code AB:CD:...}
 * @param origin      where the pair came from
 */
public record TlsMaterial(Path certPath, Path keyPath, String fingerprint, Origin origin) {

    /** The self-signed certificate's file in the data directory's {@code tls/} folder. */
    public static final String CERT_FILE = "eddy-cert.pem";
    /** The self-signed certificate's key file, beside {@link #CERT_FILE}. */
    public static final String KEY_FILE = "eddy-key.pem";

    /** Where the certificate came from. */
    public enum Origin {
        /** The files named by {@code --tls-cert} and {@code --tls-key}. */
        GIVEN("given"),
        /** Self-signed, generated at this start. */
        GENERATED("self-signed, generated at this start"),
        /** Self-signed, generated at an earlier start and reused. */
        REUSED("self-signed, reused");

        private final String description;

        Origin(String description) {
            this.description = description;
        }

        /** For the banner, e.g. {@code self-signed, reused}. */
        public String description() {
            return description;
        }
    }

    /** Why the TLS port cannot start: a file that is missing, unreadable, not PEM, or a key of another certificate. */
    public static final class UnusableException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnusableException(String message) {
            super(message);
        }

        UnusableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public TlsMaterial {
        Objects.requireNonNull(certPath, "certPath");
        Objects.requireNonNull(keyPath, "keyPath");
        Objects.requireNonNull(fingerprint, "fingerprint");
        Objects.requireNonNull(origin, "origin");
    }

    /**
     * The given files, checked (a PEM certificate, a PEM key that belongs to it); or, when none are given, the
     * self-signed pair in {@code dataDir/tls}, generated when its certificate file is absent ({@code clock} dates
     * it; {@code host}, unless a wildcard, is named in it beside localhost and this machine's name).
     *
     * @throws UnusableException naming the file and what is wrong with it
     */
    public static TlsMaterial resolveBlocking(TlsSettings settings, Path dataDir, String host, Clock clock) {
        if (!settings.selfSigned()) {
            if (settings.cert() == null || settings.key() == null) {
                throw new UnusableException("--tls-cert and --tls-key go together: give both, or neither for a "
                        + "self-signed certificate");
            }
            return check(settings.cert(), settings.key(), Origin.GIVEN);
        }
        Path dir = dataDir.resolve("tls");
        Path cert = dir.resolve(CERT_FILE);
        Path key = dir.resolve(KEY_FILE);
        // The key is written before the certificate, so a certificate file means a complete pair.
        if (Files.exists(cert)) {
            if (!Files.exists(key)) {
                throw new UnusableException("The self-signed certificate " + cert + " has no key " + key
                        + ": restore the key, or delete the certificate to have a new pair generated");
            }
            return check(cert, key, Origin.REUSED);
        }
        try {
            SelfSignedCertificate.writeBlocking(dir, cert, key, host, clock);
        } catch (IOException | GeneralSecurityException e) {
            throw new UnusableException("Cannot write a self-signed certificate to " + dir + ": " + e, e);
        }
        return check(cert, key, Origin.GENERATED);
    }

    private static TlsMaterial check(Path certPath, Path keyPath, Origin origin) {
        X509Certificate cert = readCertificate(certPath);
        PrivateKey key = readKey(keyPath);
        if (!belongTogether(key, cert.getPublicKey())) {
            throw new UnusableException("The key " + keyPath + " is not the private key of the certificate " + certPath);
        }
        try {
            return new TlsMaterial(certPath, keyPath, fingerprint(cert.getEncoded()), origin);
        } catch (CertificateException e) {
            throw new UnusableException("Cannot encode the certificate " + certPath + ": " + e, e);
        }
    }

    /** The SHA-256 fingerprint of a DER-encoded certificate: colon-separated upper-case hex. */
    public static String fingerprint(byte[] der) {
        try {
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(MessageDigest.getInstance("SHA-256").digest(der));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The first certificate of a PEM file (a chain starts with the server's own). */
    static X509Certificate readCertificate(Path path) {
        Object first = readPem(path, "certificate", "-----BEGIN CERTIFICATE-----");
        if (!(first instanceof X509CertificateHolder holder)) {
            throw new UnusableException("The TLS certificate file " + path + " does not start with a PEM certificate "
                    + "(-----BEGIN CERTIFICATE-----)");
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
        } catch (IOException | CertificateException e) {
            throw new UnusableException("The TLS certificate file " + path + " holds no valid X.509 certificate: " + e, e);
        }
    }

    private static PrivateKey readKey(Path path) {
        Object pem = readPem(path, "key", "-----BEGIN PRIVATE KEY-----");
        PrivateKeyInfo info;
        if (pem instanceof PEMKeyPair pair) {
            info = pair.getPrivateKeyInfo();
        } else if (pem instanceof PrivateKeyInfo plain) {
            info = plain;
        } else if (pem instanceof PEMEncryptedKeyPair || pem instanceof PKCS8EncryptedPrivateKeyInfo) {
            throw new UnusableException("The TLS key file " + path + " is encrypted; give it unencrypted "
                    + "(e.g. openssl pkey -in key.pem -out plain-key.pem) and readable by the server only");
        } else {
            throw new UnusableException("The TLS key file " + path + " does not start with a PEM private key "
                    + "(-----BEGIN PRIVATE KEY-----, or RSA or EC PRIVATE KEY)");
        }
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException e) {
            throw new UnusableException("The TLS key file " + path + " holds no usable private key: " + e, e);
        }
    }

    private static Object readPem(Path path, String what, String expected) {
        if (!Files.isRegularFile(path)) {
            throw new UnusableException("The TLS " + what + " file " + path + " does not exist");
        }
        try (Reader in = Files.newBufferedReader(path, StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(in)) {
            Object first = parser.readObject();
            if (first == null) {
                throw new UnusableException("The TLS " + what + " file " + path + " holds no PEM object (" + expected
                        + ")");
            }
            return first;
        } catch (IOException | DecoderException e) {
            throw new UnusableException("Cannot read the TLS " + what + " file " + path + " as PEM: " + e, e);
        }
    }

    /** Whether {@code key} signs what {@code publicKey} verifies: the pair belongs together. */
    private static boolean belongTogether(PrivateKey key, PublicKey publicKey) {
        if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) {
            return true; // a key type not probed here: a mismatch shows at the first handshake instead
        }
        try {
            byte[] probe = "eddy".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
