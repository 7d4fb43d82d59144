package dev.eddy.api;

import java.nio.file.Path;

/**
 * The TLS port's settings, part of {@link EddyConfig}: whether it is on, its port, and the certificate and key
 * files it serves (none: a self-signed pair kept in the data directory, see {@link TlsMaterial}). Immutable.
 *
 * @param port {@code -1} when TLS is off, 0 for a free port, else the port
 * @param cert the PEM certificate (chain) file, or {@code null} for the self-signed certificate
 * @param key  the PEM private key file (unencrypted), or {@code null} for the self-signed certificate's key
 */
public record TlsSettings(int port, Path cert, Path key) {

    /** TLS off. */
    public static final TlsSettings OFF = new TlsSettings(-1, null, null);

    public TlsSettings {
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("TLS port must be 0..65535 (or -1: off), was " + port);
        }
    }

    /** TLS on {@code port} (0: a free one) with the self-signed certificate. */
    public static TlsSettings onPort(int port) {
        return new TlsSettings(port, null, null);
    }

    /** Whether the server listens on a TLS port. */
    public boolean enabled() {
        return port >= 0;
    }

    /** Whether the certificate is the generated self-signed one (no files given). */
    public boolean selfSigned() {
        return cert == null && key == null;
    }

    public TlsSettings withPort(int port) {
        return new TlsSettings(port, cert, key);
    }

    /** The certificate and key files to serve; {@code null} for both: the self-signed pair. */
    public TlsSettings withFiles(Path cert, Path key) {
        return new TlsSettings(port, cert, key);
    }
}
