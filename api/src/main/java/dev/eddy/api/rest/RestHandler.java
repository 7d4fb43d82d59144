package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import dev.eddy.projections.Projections;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The REST API's front door for every request under {@code /v1}: reads the body (up to the server's
 * request limit), picks the resource from the path and method, and writes the JSON answer or the
 * {@code application/problem+json} problem. Thread-safe; never blocks.
 *
 * <p>Routes: {@code GET|POST /v1/streams}; {@code GET|DELETE /v1/streams/{stream}};
 * {@code GET /v1/streams/{stream}/records}; {@code GET|POST /v1/streams/{stream}/keys/{key}/events};
 * {@code GET /v1/streams/{stream}/groups}; {@code GET|DELETE /v1/streams/{stream}/groups/{group}};
 * {@code GET|POST /v1/projections}; {@code GET|DELETE /v1/projections/{name}};
 * {@code GET /v1/projections/{name}/state}; {@code GET /v1/projections/{name}/state/{key}}.
 * Path segments are percent-decoded, so a key may hold any character.
 */
public final class RestHandler implements Handler<HttpServerRequest> {

    /** The path prefix this handler serves. */
    public static final String PREFIX = "/v1";

    private static final String JSON = "application/json";
    private static final String PROBLEM_JSON = "application/problem+json";

    private final StreamResources streamResources;
    private final EventResources eventResources;
    private final RecordResources recordResources;
    private final GroupResources groupResources;
    private final ProjectionResources projectionResources;
    private final int maxBodyBytes;
    private final StreamMetrics metrics;

    public RestHandler(Streams streams, Projections projections, int maxBodyBytes, StreamMetrics metrics) {
        this.projectionResources = new ProjectionResources(projections);
        this.metrics = metrics;
        this.streamResources = new StreamResources(streams);
        this.eventResources = new EventResources(streams);
        this.recordResources = new RecordResources(streams, metrics);
        this.groupResources = new GroupResources(streams);
        this.maxBodyBytes = maxBodyBytes;
    }

    /** Whether a request path belongs to this handler. */
    public static boolean serves(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    @Override
    public void handle(HttpServerRequest request) {
        long started = System.nanoTime();
        List<String> segments;
        try {
            segments = segments(request.path());
        } catch (Problem p) {
            request.exceptionHandler(e -> { /* connection gone: nothing to answer */ });
            request.endHandler(v -> {
                send(request.response(), p, null, null);
                metrics.request("rest", "Unknown", null, p.type().slug(), System.nanoTime() - started);
            });
            return;
        }
        String operation = operation(request.method(), segments);
        boolean streamRoute = !segments.isEmpty() && segments.get(0).equals("streams");
        String stream = streamRoute && segments.size() >= 2 ? segments.get(1) : null;
        String key = streamRoute && segments.size() >= 4 && segments.get(2).equals("keys") ? segments.get(3) : null;
        BodyReader.read(request, maxBodyBytes)
                .compose(body -> {
                    try {
                        return dispatch(request, segments, body);
                    } catch (RuntimeException e) {
                        return Future.failedFuture(e);
                    }
                })
                .onComplete(ar -> {
                    String outcome;
                    if (ar.succeeded()) {
                        send(request.response(), ar.result());
                        outcome = "success";
                    } else {
                        Problem problem = Problems.of(ar.cause());
                        send(request.response(), problem, stream, key);
                        outcome = problem.type().slug();
                    }
                    metrics.request("rest", operation, stream, outcome, System.nanoTime() - started);
                });
    }

    private Future<Answer> dispatch(HttpServerRequest request, List<String> s, Buffer body) {
        HttpMethod method = request.method();
        int n = s.size();
        if (n >= 1 && s.get(0).equals("streams")) {
            if (n == 1) {
                if (method == HttpMethod.GET) {
                    return streamResources.list();
                }
                if (method == HttpMethod.POST) {
                    return streamResources.create(json(body));
                }
                throw notAllowed(method, "GET, POST");
            }
            String stream = s.get(1);
            if (n == 2) {
                if (method == HttpMethod.GET) {
                    return streamResources.describe(stream);
                }
                if (method == HttpMethod.DELETE) {
                    return streamResources.delete(stream, QueryParams.bool(request, "enforceConsumerDeletion", false));
                }
                throw notAllowed(method, "GET, DELETE");
            }
            if (n == 3 && s.get(2).equals("records")) {
                if (method == HttpMethod.GET) {
                    return recordResources.read(stream, request.getParam("shard"), request.getParam("from"),
                            request.getParam("cursor"), QueryParams.intIn(request, "limit", 1,
                                    RecordResources.MAX_LIMIT, RecordResources.DEFAULT_LIMIT));
                }
                throw notAllowed(method, "GET");
            }
            if (n == 3 && s.get(2).equals("groups")) {
                if (method == HttpMethod.GET) {
                    return groupResources.list(stream);
                }
                throw notAllowed(method, "GET");
            }
            if (n == 4 && s.get(2).equals("groups")) {
                if (method == HttpMethod.GET) {
                    return groupResources.describe(stream, s.get(3));
                }
                if (method == HttpMethod.DELETE) {
                    return groupResources.delete(stream, s.get(3));
                }
                throw notAllowed(method, "GET, DELETE");
            }
            if (n == 5 && s.get(2).equals("keys") && s.get(4).equals("events")) {
                String key = s.get(3);
                if (method == HttpMethod.GET) {
                    long fromVersion = QueryParams.longIn(request, "fromVersion", 0, Long.MAX_VALUE - 1, 0);
                    int limit = QueryParams.intIn(request, "limit", 1, EventResources.MAX_LIMIT,
                            EventResources.DEFAULT_LIMIT);
                    return eventResources.history(stream, key, fromVersion, limit);
                }
                if (method == HttpMethod.POST) {
                    return eventResources.append(stream, key, json(body));
                }
                throw notAllowed(method, "GET, POST");
            }
        }
        if (n >= 1 && s.get(0).equals("projections")) {
            return projections(request, s, body);
        }
        throw new Problem(ProblemType.NOT_FOUND, "No resource at " + QueryParams.abbreviate(request.path())
                + "; see the README's REST section for the routes under " + PREFIX + ".");
    }

    private Future<Answer> projections(HttpServerRequest request, List<String> s, Buffer body) {
        HttpMethod method = request.method();
        int n = s.size();
        if (n == 1) {
            if (method == HttpMethod.GET) {
                return projectionResources.list();
            }
            if (method == HttpMethod.POST) {
                return projectionResources.create(json(body));
            }
            throw notAllowed(method, "GET, POST");
        }
        String name = s.get(1);
        if (n == 2) {
            if (method == HttpMethod.GET) {
                return projectionResources.describe(name);
            }
            if (method == HttpMethod.DELETE) {
                return projectionResources.delete(name);
            }
            throw notAllowed(method, "GET, DELETE");
        }
        if (n == 3 && s.get(2).equals("state")) {
            if (method == HttpMethod.GET) {
                return projectionResources.states(name, QueryParams.intIn(request, "limit", 1, Projections.MAX_PAGE,
                        ProjectionResources.DEFAULT_LIMIT), request.getParam("cursor"));
            }
            throw notAllowed(method, "GET");
        }
        if (n == 4 && s.get(2).equals("state")) {
            if (method == HttpMethod.GET) {
                return projectionResources.state(name, s.get(3));
            }
            throw notAllowed(method, "GET");
        }
        throw new Problem(ProblemType.NOT_FOUND, "No resource at " + QueryParams.abbreviate(request.path())
                + "; see the README's Projections section for the routes under " + PREFIX + "/projections.");
    }

    /** The operation a route names, for metrics (a bounded set of names). */
    static String operation(HttpMethod method, List<String> s) {
        int n = s.size();
        String m = method.name();
        if (n >= 1 && s.get(0).equals("projections")) {
            return projectionOperation(m, n);
        }
        if (n == 0 || !s.get(0).equals("streams")) {
            return "Unknown";
        }
        if (n == 1) {
            return m.equals("GET") ? "ListStreams" : m.equals("POST") ? "CreateStream" : "Unknown";
        }
        if (n == 2) {
            return m.equals("GET") ? "DescribeStream" : m.equals("DELETE") ? "DeleteStream" : "Unknown";
        }
        if (n == 3 && s.get(2).equals("records")) {
            return "ReadRecords";
        }
        if (n == 3 && s.get(2).equals("groups")) {
            return "ListGroups";
        }
        if (n == 4 && s.get(2).equals("groups")) {
            return m.equals("DELETE") ? "DeleteGroup" : "DescribeGroup";
        }
        if (n == 5 && s.get(2).equals("keys") && s.get(4).equals("events")) {
            return m.equals("POST") ? "AppendEvents" : "ReadEvents";
        }
        return "Unknown";
    }

    private static String projectionOperation(String m, int n) {
        return switch (n) {
            case 1 -> m.equals("GET") ? "ListProjections" : m.equals("POST") ? "CreateProjection" : "Unknown";
            case 2 -> m.equals("GET") ? "DescribeProjection" : m.equals("DELETE") ? "DeleteProjection" : "Unknown";
            case 3 -> "ListProjectionStates";
            case 4 -> "GetProjectionState";
            default -> "Unknown";
        };
    }

    private static JsonNode json(Buffer body) {
        return RestJson.parse(body.getBytes(), "The request body");
    }

    private static Problem notAllowed(HttpMethod method, String allowed) {
        return new Problem(ProblemType.METHOD_NOT_ALLOWED, method + " is not allowed here; allowed: " + allowed + ".")
                .with("allow", allowed);
    }

    /** The percent-decoded path segments after {@code /v1}, without empty ones. */
    static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String raw : path.substring(PREFIX.length()).split("/")) {
            if (raw.isEmpty()) {
                continue;
            }
            try {
                // URLDecoder would turn '+' into a space; in a path '+' is itself.
                out.add(URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new Problem(ProblemType.INVALID_ARGUMENT, "Path segment '" + QueryParams.abbreviate(raw)
                        + "' has a bad percent-encoding: " + e.getMessage());
            }
        }
        return out;
    }

    private static void send(HttpServerResponse response, Answer answer) {
        if (response.ended() || response.closed()) {
            return;
        }
        response.setStatusCode(answer.status());
        if (answer.location() != null) {
            response.putHeader("Location", answer.location());
        }
        if (answer.body() == null) {
            response.end();
        } else {
            response.putHeader("Content-Type", JSON).end(Buffer.buffer(RestJson.bytes(answer.body())));
        }
    }

    private static void send(HttpServerResponse response, Problem problem, String stream, String key) {
        if (response.ended() || response.closed()) {
            return;
        }
        problem.withIfAbsent("stream", stream).withIfAbsent("key", key);
        response.setStatusCode(problem.type().status()).putHeader("Content-Type", PROBLEM_JSON);
        if (problem.type() == ProblemType.METHOD_NOT_ALLOWED) {
            response.putHeader("Allow", problem.toJson().path("allow").asText());
        }
        response.end(Buffer.buffer(RestJson.bytes(problem.toJson())));
    }
}
