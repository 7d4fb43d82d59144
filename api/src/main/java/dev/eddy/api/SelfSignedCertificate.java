package dev.eddy.api;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Writes the TLS port's self-signed certificate and its key as PEM files: RSA 2048, SHA256withRSA, ten years, for
 * localhost, this machine's name, 127.0.0.1 and ::1. Keys are made and signed by the JDK's own providers;
 * BouncyCastle only assembles the certificate and writes PEM. Stateless and thread-safe; blocking.
 */
final class SelfSignedCertificate {

    static final Duration VALIDITY = Duration.ofDays(3650);
    /** Backdated a little, so a client whose clock is slightly behind accepts a certificate made a moment ago. */
    private static final Duration BACKDATE = Duration.ofHours(1);

    private SelfSignedCertificate() {
    }

    /**
     * Generates a key pair and a certificate over it, and writes the key to {@code keyFile} (owner-only where the
     * file system has POSIX permissions), then the certificate to {@code certFile}, each atomically: a certificate
     * file is only ever there with its key.
     */
    static void writeBlocking(Path dir, Path certFile, Path keyFile, String host, Clock clock)
            throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair pair = generator.generateKeyPair();
        X509CertificateHolder cert = certificate(pair, names(host), clock.instant());
        Files.createDirectories(dir);
        StringWriter key = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(key)) {
            pem.writeObject(new JcaPKCS8Generator(pair.getPrivate(), null));
        }
        writeAtomically(keyFile, key.toString(), true);
        StringWriter certificate = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(certificate)) {
            pem.writeObject(cert);
        }
        writeAtomically(certFile, certificate.toString(), false);
    }

    /** The subject alternative names: DNS names and IP addresses a client may connect to. */
    static List<GeneralName> names(String host) {
        Set<String> dns = new LinkedHashSet<>();
        Set<String> ips = new LinkedHashSet<>(List.of("127.0.0.1", "::1"));
        dns.add("localhost");
        String machine = machineName();
        if (machine != null) {
            dns.add(machine);
        }
        // The interface the server binds, when it names one (not a wildcard, nor an address with a zone id).
        if (host != null && !host.isBlank() && !host.equals("0.0.0.0") && !host.equals("::") && !host.contains("%")) {
            (isIpLiteral(host) ? ips : dns).add(host.toLowerCase(Locale.ROOT));
        }
        List<GeneralName> names = new ArrayList<>();
        dns.forEach(name -> names.add(new GeneralName(GeneralName.dNSName, name)));
        ips.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip)));
        return names;
    }

    private static X509CertificateHolder certificate(KeyPair pair, List<GeneralName> names, Instant now)
            throws IOException, GeneralSecurityException {
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.CN, "localhost")
                .addRDN(BCStyle.O, "Eddy self-signed")
                .build();
        BigInteger serial = new BigInteger(64, new SecureRandom()).add(BigInteger.ONE);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, pair.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true,
                        new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                .addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(names.toArray(GeneralName[]::new)))
                .addExtension(Extension.subjectKeyIdentifier, false,
                        new JcaX509ExtensionUtils().createSubjectKeyIdentifier(pair.getPublic()));
        try {
            // No provider named: the JDK's default providers sign (BouncyCastle is never registered).
            return builder.build(new JcaContentSignerBuilder("SHA256withRSA")
                    .build(pair.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("Cannot sign the certificate: " + e.getMessage(), e);
        }
    }

    /** This machine's name, or {@code null} when it has none usable in a certificate. */
    private static String machineName() {
        try {
            String name = InetAddress.getLocalHost().getHostName().toLowerCase(Locale.ROOT);
            return name.matches("[a-z0-9]([a-z0-9.-]*[a-z0-9])?") && !isIpLiteral(name) ? name : null;
        } catch (IOException e) {
            return null; // the name does not resolve; localhost and the loopback addresses still work
        }
    }

    private static boolean isIpLiteral(String host) {
        return host.contains(":") || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    /** Writes {@code text} to a temporary file beside {@code target}, syncs it, and renames it over the target. */
    private static void writeAtomically(Path target, String text, boolean secret) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        if (secret && Files.getFileStore(target.getParent()).supportsFileAttributeView(PosixFileAttributeView.class)) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(temp);
        }
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
            out.force(true);
        }
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
