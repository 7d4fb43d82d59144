package dev.eddy.api.e2e;

import dev.eddy.api.TlsMaterial;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain {@code java -jar eddy.jar} runs the server in a child JVM with bounded-memory options; the child
 * must never outlive the launcher (SIGKILL) and must stop cleanly with it (SIGTERM). The jar's TLS port and its
 * banner lines; a database unreachable at start.
 */
class LauncherIT {

    @Test
    void serverRunsInABoundedChildJvmTiedToTheLauncher(@TempDir Path dataDir) throws Exception {
        EddyProcess eddy = EddyProcess.startMapDb(dataDir, List.of());
        ProcessHandle child = onlyChild(eddy.process());
        String childCommand = child.info().commandLine().orElse("");
        assertTrue(childCommand.contains("-Xmx1g"), "child JVM options: " + childCommand);

        String sequenceNumber;
        try (KinesisClient kinesis = SdkClients.syncCbor(eddy.endpoint())) {
            kinesis.createStream(b -> b.streamName("launched").shardCount(1));
            kinesis.waiter().waitUntilStreamExists(b -> b.streamName("launched"));
            PutRecordResponse put = kinesis.putRecord(b -> b.streamName("launched").partitionKey("k")
                    .data(SdkBytes.fromUtf8String("kept")));
            sequenceNumber = put.sequenceNumber();
        }

        // SIGKILL of the launcher: the server must go too, at once, releasing the port and the data directory.
        eddy.process().destroyForcibly();
        eddy.process().waitFor(30, TimeUnit.SECONDS);
        assertTrue(child.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS)
                .thenApply(h -> !child.isAlive()).get(), "server JVM outlived its killed launcher");

        EddyProcess again = EddyProcess.startMapDb(dataDir, List.of());
        ProcessHandle secondChild = onlyChild(again.process());
        try (KinesisClient kinesis = SdkClients.syncCbor(again.endpoint())) {
            String iterator = kinesis.getShardIterator(b -> b.streamName("launched").shardId("shardId-000000000000")
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            GetRecordsResponse got = kinesis.getRecords(b -> b.shardIterator(iterator));
            assertEquals(1, got.records().size());
            assertEquals(sequenceNumber, got.records().get(0).sequenceNumber());
            assertEquals("kept", got.records().get(0).data().asUtf8String());
        }
        // SIGTERM of the launcher stops the server cleanly.
        again.process().destroy();
        assertTrue(again.process().waitFor(60, TimeUnit.SECONDS), "launcher did not stop on SIGTERM");
        assertTrue(secondChild.onExit().toCompletableFuture().completeOnTimeout(null, 10, TimeUnit.SECONDS)
                .thenApply(h -> !secondChild.isAlive()).get(), "server JVM outlived its stopped launcher");
    }

    /**
     * Issue 13: with {@code --tls-port} the jar (its server in the child JVM) generates a self-signed certificate
     * in the data directory, names it and its fingerprint in the banner, and serves HTTPS beside the cleartext port.
     */
    @Test
    void tlsPortServesHttpsWithTheCertificateTheBannerNames(@TempDir Path dataDir) throws Exception {
        int tlsPort = freePort();
        EddyProcess eddy = EddyProcess.start(List.of(), List.of("--data-dir", dataDir.toString(), "--storage", "mapdb",
                "--tls-port", Integer.toString(tlsPort)), dataDir);
        try {
            Path cert = dataDir.resolve("tls").resolve("eddy-cert.pem");
            String fingerprint;
            try (InputStream in = Files.newInputStream(cert)) {
                fingerprint = TlsMaterial.fingerprint(CertificateFactory.getInstance("X.509").generateCertificate(in)
                        .getEncoded());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (eddy.stdout().stream().noneMatch(l -> l.contains("fingerprint")) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            List<String> out = eddy.stdout();
            assertTrue(out.stream().anyMatch(l -> l.contains("listening on https://127.0.0.1:" + tlsPort)), out::toString);
            assertTrue(out.contains("TLS certificate: " + cert + " (self-signed, generated at this start)"), out::toString);
            assertTrue(out.contains("TLS certificate SHA-256 fingerprint: " + fingerprint), out::toString);

            HttpClient https = HttpClient.newBuilder().sslContext(TlsTest.sslContext(TlsTest.trusting(cert))).build();
            HttpResponse<String> health = https.send(HttpRequest.newBuilder(
                    URI.create("https://localhost:" + tlsPort + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, health.version());
        } finally {
            // A JVM that ran its shutdown hooks on SIGTERM exits with 128 + 15 unless it calls exit(0) itself.
            int exit = eddy.stop();
            assertTrue(exit == 0 || exit == 143, "exit code after SIGTERM: " + exit + "; " + eddy.diagnostics());
        }
    }

    /** Issue 4: a PostgreSQL server that cannot be reached at start gives a clear message and exit code 1, at once. */
    @Test
    void unreachableDatabaseAtStartExitsWithOneAndSaysSo() throws Exception {
        int pgPort = freePort();
        int port = freePort();
        Path stderr = Files.createTempFile("eddy-unreachable-", ".log");
        try {
            Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-jar", EddyProcess.jar().toString(), "--storage", "postgres",
                    "--pg-url", "postgresql://eddy@127.0.0.1:" + pgPort + "/x", "--port", Integer.toString(port),
                    "--host", "127.0.0.1")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(stderr.toFile())
                    .start();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("server still running 20 s after start with an unreachable database; stderr: "
                        + Files.readString(stderr));
            }
            String err = Files.readString(stderr);
            assertEquals(1, process.exitValue(), err);
            String firstLine = err.lines().findFirst().orElse("");
            assertTrue(firstLine.startsWith("eddy: cannot start"), err);
            assertTrue(firstLine.contains("127.0.0.1:" + pgPort), err);
            assertTrue(firstLine.contains("unreachable"), err);
        } finally {
            Files.deleteIfExists(stderr);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static ProcessHandle onlyChild(Process launcher) {
        List<ProcessHandle> children = launcher.children().toList();
        assertEquals(1, children.size(), "expected the launcher to run exactly one server JVM");
        return children.get(0);
    }
}
