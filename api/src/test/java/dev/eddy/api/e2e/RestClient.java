package dev.eddy.api.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A REST client over {@link HttpClient} for Eddy's {@code /v1} API. Thread-safe. */
final class RestClient {

    static final ObjectMapper JSON = new ObjectMapper();

    /** An answer: status, content type and parsed JSON body ({@code null} when empty). */
    record Reply(int status, String contentType, JsonNode body) {
        String problemType() {
            return body == null ? null : body.path("type").asText(null);
        }
    }

    private final HttpClient http;
    private final URI endpoint;

    RestClient(URI endpoint) {
        this(endpoint, HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
    }

    /** Over the given client (one trusting a TLS port's certificate, say). */
    RestClient(URI endpoint, HttpClient http) {
        this.endpoint = endpoint;
        this.http = http;
    }

    static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String events(String stream, String key) {
        return "/v1/streams/" + enc(stream) + "/keys/" + enc(key) + "/events";
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(endpoint.resolve(path)).GET());
    }

    Reply delete(String path) {
        return send(HttpRequest.newBuilder(endpoint.resolve(path)).DELETE());
    }

    Reply post(String path, String body) {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    Reply post(String path, byte[] body) {
        return send(HttpRequest.newBuilder(endpoint.resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    Reply post(String path, JsonNode body) {
        try {
            return post(path, JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates a stream (201 expected) and returns its description. */
    JsonNode createStream(String name, int shardCount) {
        Reply r = post("/v1/streams", "{\"name\":\"" + name + "\",\"shardCount\":" + shardCount + "}");
        if (r.status() != 201) {
            throw new AssertionError("create " + name + ": " + r);
        }
        return r.body();
    }

    private Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<byte[]> response = http.send(request.timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            byte[] bytes = response.body();
            JsonNode body = bytes.length == 0 ? null : JSON.readTree(bytes);
            return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(null), body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
