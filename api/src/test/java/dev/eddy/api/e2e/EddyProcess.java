package dev.eddy.api.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** An {@code eddy.jar} server in a child process, for crash tests. Not thread-safe. */
final class EddyProcess {

    private final Process process;
    private final int port;
    private final List<String> stdout;
    private final Path stderr;

    private EddyProcess(Process process, int port, List<String> stdout, Path stderr) {
        this.process = process;
        this.port = port;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The fat jar failsafe built: system property {@code eddy.jar}, else {@code target/eddy.jar}. */
    static Path jar() {
        Path jar = Path.of(System.getProperty("eddy.jar", "target/eddy.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no server jar at " + jar.toAbsolutePath() + " (run mvn verify)");
        }
        return jar;
    }

    /**
     * Starts {@code java -Xmx512m -jar eddy.jar} with MapDB in {@code dataDir} and waits for the banner and
     * /ready. With an explicit heap the server runs in that JVM itself, so a SIGKILL hits the server.
     */
    static EddyProcess startMapDb(Path dataDir) throws IOException, InterruptedException {
        return startMapDb(dataDir, List.of("-Xmx512m"));
    }

    /** Starts {@code java <jvmArgs> -jar eddy.jar} with MapDB in {@code dataDir}; waits for the banner and /ready. */
    static EddyProcess startMapDb(Path dataDir, List<String> jvmArgs) throws IOException, InterruptedException {
        return start(jvmArgs, List.of("--data-dir", dataDir.toString(), "--storage", "mapdb"), dataDir);
    }

    /**
     * Starts {@code java -Xmx512m -jar eddy.jar <storageArgs>} (the server in that JVM); waits for the banner and
     * /ready. {@code dataDir}, when not null, is copied aside if the server cannot start.
     */
    static EddyProcess start(List<String> storageArgs, Path dataDir) throws IOException, InterruptedException {
        return start(List.of("-Xmx512m"), storageArgs, dataDir);
    }

    /** Starts {@code java <jvmArgs> -jar eddy.jar <storageArgs>}; waits for the banner and /ready. */
    static EddyProcess start(List<String> jvmArgs, List<String> storageArgs, Path dataDir)
            throws IOException, InterruptedException {
        int port = freePort();
        Path stderr = Files.createTempFile("eddy-stderr-", ".log");
        List<String> command = new java.util.ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.addAll(List.of("-jar", jar().toString(), "--port", Integer.toString(port), "--host", "127.0.0.1"));
        command.addAll(storageArgs);
        Process process = new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .start();
        List<String> lines = new CopyOnWriteArrayList<>();
        CountDownLatch banner = new CountDownLatch(1);
        Thread pump = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                    if (line.contains("listening on")) {
                        banner.countDown();
                    }
                }
            } catch (IOException ignored) {
                // the process died; the caller sees it
            }
        }, "eddy-stdout");
        pump.setDaemon(true);
        pump.start();
        EddyProcess eddy = new EddyProcess(process, port, lines, stderr);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!banner.await(50, TimeUnit.MILLISECONDS)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                process.destroyForcibly();
                throw new IllegalStateException((process.isAlive() ? "no 'listening on' banner in 30 s"
                        : "server exited with " + process.waitFor()) + " with " + storageArgs
                        + (dataDir == null ? "" : " (data dir copy kept at " + keepCopy(dataDir) + ")") + "; "
                        + eddy.diagnostics());
            }
        }
        eddy.awaitReady(Duration.ofSeconds(30));
        return eddy;
    }

    /** Copies a data directory the server could not start on, for a post-mortem; returns where. */
    private static Path keepCopy(Path dataDir) {
        try {
            Path copy = Files.createTempDirectory("eddy-failed-start-");
            try (var files = Files.walk(dataDir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Path target = copy.resolve(dataDir.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(p, target);
                    }
                }
            }
            return copy;
        } catch (IOException e) {
            return Path.of("(not copied: " + e + ")");
        }
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ready = HttpRequest.newBuilder(URI.create(endpoint() + "/ready")).timeout(Duration.ofSeconds(2))
                .build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("server exited with " + process.exitValue() + "; " + diagnostics());
            }
            try {
                if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("/ready not 200 within " + timeout + "; " + diagnostics());
    }

    /** The {@code java -jar} process itself (the launcher, when the server runs in a child JVM). */
    Process process() {
        return process;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    List<String> stdout() {
        return stdout;
    }

    /** SIGKILL (what {@link Process#destroyForcibly()} sends on Linux); returns the exit code (137). */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("server survived SIGKILL");
        }
        return process.exitValue();
    }

    /** SIGTERM and wait for a clean exit; returns the exit code. */
    int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("server ignored SIGTERM for 30 s; " + diagnostics());
        }
        return process.exitValue();
    }

    String diagnostics() {
        String err;
        try {
            err = Files.readString(stderr);
        } catch (IOException e) {
            err = "(stderr unreadable: " + e + ")";
        }
        return "stdout: " + stdout + "\nstderr: " + (err.length() > 4000 ? err.substring(err.length() - 4000) : err);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
