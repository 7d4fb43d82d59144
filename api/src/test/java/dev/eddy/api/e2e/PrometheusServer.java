package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (the installed {@code prometheus} binary) in a child process on a free loopback port,
 * with its TSDB in a temporary directory, and a client of its HTTP API. Not thread-safe.
 */
final class PrometheusServer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI endpoint;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PrometheusServer(Process process, URI endpoint, Path log) {
        this.process = process;
        this.endpoint = endpoint;
        this.log = log;
    }

    /** The installed binary {@code name} ({@code prometheus}, {@code promtool}); fails with how to install it. */
    static Path binary(String name) {
        for (String dir : (System.getenv().getOrDefault("PATH", "") + ":/usr/bin:/usr/local/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException(name + " is not installed: apt-get install -y prometheus (.ci/run does)");
    }

    /** Starts Prometheus with {@code config} (its TSDB under {@code workDir}) and waits until it is ready. */
    static PrometheusServer start(Path config, Path workDir) throws IOException, InterruptedException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path log = workDir.resolve("prometheus.log");
        Process process = new ProcessBuilder(binary("prometheus").toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + workDir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        PrometheusServer server = new PrometheusServer(process, URI.create("http://127.0.0.1:" + port), log);
        try {
            server.awaitReady(Duration.ofSeconds(60));
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited with " + process.exitValue() + "; " + log());
            }
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(endpoint.resolve("/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("prometheus not ready within " + timeout + "; " + log());
    }

    /** {@code GET /api/v1/query}: the {@code data} of a successful answer; fails with Prometheus's error. */
    JsonNode query(String promql) {
        JsonNode answer = get("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        if (!"success".equals(answer.path("status").asText())) {
            throw new AssertionError("query failed: " + promql + ": " + answer);
        }
        return answer.path("data");
    }

    /** The single value of an instant query's vector result, or NaN when the vector is empty. */
    double scalar(String promql) {
        JsonNode result = query(promql).path("result");
        if (result.isEmpty()) {
            return Double.NaN;
        }
        if (result.size() != 1) {
            throw new AssertionError("expected one series from " + promql + ", got " + result);
        }
        return Double.parseDouble(result.get(0).path("value").get(1).asText());
    }

    /** {@code GET /api/v1/rules}: every rule of every group, as Prometheus reports it. */
    List<JsonNode> rules() {
        JsonNode answer = get("/api/v1/rules");
        List<JsonNode> rules = new java.util.ArrayList<>();
        for (JsonNode group : answer.path("data").path("groups")) {
            group.path("rules").forEach(rules::add);
        }
        return rules;
    }

    private JsonNode get(String pathAndQuery) {
        try {
            HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(endpoint.resolve(pathAndQuery))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String log() {
        try {
            String text = Files.readString(log);
            return "prometheus log: " + (text.length() > 4000 ? text.substring(text.length() - 4000) : text);
        } catch (IOException e) {
            return "(prometheus log unreadable: " + e + ")";
        }
    }

    /** SIGTERM, then SIGKILL if Prometheus has not stopped within 20 s. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
