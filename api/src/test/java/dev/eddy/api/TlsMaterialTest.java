package dev.eddy.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Security;
import java.security.interfaces.RSAPublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The TLS port's certificate: the self-signed one generated once per data directory with the names and uses a
 * server certificate needs, then reused; given files checked; unusable files refused with the file named.
 */
class TlsMaterialTest {

    private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @TempDir
    Path dir;

    private TlsMaterial selfSigned(Path dataDir, String host) {
        return TlsMaterial.resolveBlocking(TlsSettings.onPort(0), dataDir, host, CLOCK);
    }

    @Test
    void aSelfSignedCertificateIsGeneratedOnceForLocalhostAndServerUseThenReused() throws Exception {
        TlsMaterial generated = selfSigned(dir, "0.0.0.0");
        assertEquals(TlsMaterial.Origin.GENERATED, generated.origin());
        assertEquals(dir.resolve("tls").resolve("eddy-cert.pem"), generated.certPath());
        assertEquals(dir.resolve("tls").resolve("eddy-key.pem"), generated.keyPath());
        assertTrue(Files.readString(generated.keyPath()).startsWith("-----BEGIN PRIVATE KEY-----"));

        X509Certificate cert = TlsMaterial.readCertificate(generated.certPath());
        assertEquals(TlsMaterial.fingerprint(cert.getEncoded()), generated.fingerprint());
        assertEquals("SHA256withRSA", cert.getSigAlgName());
        assertEquals(2048, ((RSAPublicKey) cert.getPublicKey()).getModulus().bitLength());
        assertTrue(cert.getSubjectX500Principal().getName().contains("CN=localhost"), cert.getSubjectX500Principal().getName());
        assertEquals(cert.getSubjectX500Principal(), cert.getIssuerX500Principal());
        cert.verify(cert.getPublicKey());
        assertEquals(NOW.minusSeconds(3600), cert.getNotBefore().toInstant());
        assertEquals(NOW.plus(SelfSignedCertificate.VALIDITY), cert.getNotAfter().toInstant());
        assertEquals(-1, cert.getBasicConstraints(), "not a CA");
        boolean[] usage = cert.getKeyUsage();
        assertTrue(usage[0] && usage[2], "digitalSignature and keyEncipherment");
        assertFalse(usage[5], "no keyCertSign");
        assertEquals(List.of("1.3.6.1.5.5.7.3.1"), cert.getExtendedKeyUsage(), "serverAuth");
        List<List<?>> names = List.copyOf(cert.getSubjectAlternativeNames());
        assertTrue(names.contains(List.of(2, "localhost")), names::toString);
        assertTrue(names.contains(List.of(7, "127.0.0.1")), names::toString);
        assertTrue(names.contains(List.of(7, "0:0:0:0:0:0:0:1")), names::toString);
        assertFalse(names.contains(List.of(7, "0.0.0.0")), "a wildcard address is no name");
        assertNull(Security.getProvider("BC"), "BouncyCastle is not registered as a JCA provider");

        if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
            assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(generated.keyPath()));
        }

        TlsMaterial reused = selfSigned(dir, "0.0.0.0");
        assertEquals(TlsMaterial.Origin.REUSED, reused.origin());
        assertEquals(generated.fingerprint(), reused.fingerprint());
        assertNotEquals(generated.fingerprint(), selfSigned(dir.resolve("other"), "0.0.0.0").fingerprint());
    }

    @Test
    void theBoundInterfaceIsNamedWhenItIsOne() throws Exception {
        X509Certificate byIp = TlsMaterial.readCertificate(selfSigned(dir.resolve("ip"), "192.168.7.7").certPath());
        assertTrue(byIp.getSubjectAlternativeNames().contains(List.of(7, "192.168.7.7")));
        X509Certificate byName = TlsMaterial.readCertificate(selfSigned(dir.resolve("dns"), "Eddy.Example").certPath());
        assertTrue(byName.getSubjectAlternativeNames().contains(List.of(2, "eddy.example")));
    }

    @Test
    void aKeyLeftByAnInterruptedGenerationIsReplaced() throws Exception {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        Files.writeString(tls.resolve("eddy-key.pem"), "half written");
        TlsMaterial material = selfSigned(dir, "0.0.0.0");
        assertEquals(TlsMaterial.Origin.GENERATED, material.origin());
        assertTrue(Files.readString(material.keyPath()).startsWith("-----BEGIN PRIVATE KEY-----"));
    }

    @Test
    void givenFilesAreCheckedAndServed() throws Exception {
        TlsMaterial made = selfSigned(dir.resolve("made"), "0.0.0.0");
        TlsMaterial given = TlsMaterial.resolveBlocking(new TlsSettings(4443, made.certPath(), made.keyPath()),
                dir.resolve("data"), "0.0.0.0", CLOCK);
        assertEquals(TlsMaterial.Origin.GIVEN, given.origin());
        assertEquals(made.fingerprint(), given.fingerprint());
        assertFalse(Files.exists(dir.resolve("data")), "nothing is written when files are given");
    }

    @Test
    void unusableFilesAreRefusedNamingTheFile() throws Exception {
        TlsMaterial made = selfSigned(dir.resolve("made"), "0.0.0.0");
        TlsMaterial other = selfSigned(dir.resolve("other"), "0.0.0.0");
        Path data = dir.resolve("data");

        Path notPem = Files.writeString(dir.resolve("cert.txt"), "not a certificate");
        String message = refused(new TlsSettings(0, notPem, made.keyPath()), data);
        assertTrue(message.contains(notPem.toString()) && message.contains("PEM"), message);

        Path garbled = Files.writeString(dir.resolve("garbled.pem"),
                "-----BEGIN CERTIFICATE-----\n%%% not base64 %%%\n-----END CERTIFICATE-----\n");
        message = refused(new TlsSettings(0, garbled, made.keyPath()), data);
        assertTrue(message.contains(garbled.toString()), message);

        Path missing = dir.resolve("missing.pem");
        message = refused(new TlsSettings(0, made.certPath(), missing), data);
        assertTrue(message.contains(missing.toString()) && message.contains("does not exist"), message);

        message = refused(new TlsSettings(0, made.certPath(), made.certPath()), data);
        assertTrue(message.contains("private key"), message);

        message = refused(new TlsSettings(0, made.certPath(), other.keyPath()), data);
        assertTrue(message.contains(other.keyPath() + " is not the private key of the certificate " + made.certPath()),
                message);

        message = refused(new TlsSettings(0, made.certPath(), null), data);
        assertTrue(message.contains("--tls-cert and --tls-key"), message);

        // A generated certificate whose key is gone is not silently replaced (clients trust it).
        Files.delete(made.keyPath());
        message = refused(TlsSettings.onPort(0), dir.resolve("made"));
        assertTrue(message.contains("has no key") && message.contains(made.keyPath().toString()), message);
    }

    private static String refused(TlsSettings settings, Path dataDir) {
        return assertThrows(TlsMaterial.UnusableException.class,
                () -> TlsMaterial.resolveBlocking(settings, dataDir, "0.0.0.0", CLOCK)).getMessage();
    }

    @Test
    void theBannerNamesTheHttpsPortTheCertificateAndItsFingerprint() {
        TlsMaterial material = selfSigned(dir, "0.0.0.0");
        EddyConfig config = EddyConfig.defaults().withTls(TlsSettings.onPort(4443)).withDataDir(dir);
        List<String> lines = Main.banner(config, 4567, 4443, material).lines().toList();
        assertEquals(4, lines.size(), lines::toString);
        assertTrue(lines.get(0).contains("listening on http://0.0.0.0:4567"), lines::toString);
        assertTrue(lines.get(1).contains("listening on https://0.0.0.0:4443"), lines::toString);
        assertEquals("TLS certificate: " + material.certPath() + " (self-signed, generated at this start)", lines.get(2));
        assertEquals("TLS certificate SHA-256 fingerprint: " + material.fingerprint(), lines.get(3));
        assertEquals(1, Main.banner(EddyConfig.defaults(), 4567, -1, null).lines().count());
    }
}
