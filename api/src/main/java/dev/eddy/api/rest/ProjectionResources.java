package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.eddy.projections.Projections;
import io.vertx.core.Future;

/**
 * {@code /v1/projections}, {@code /v1/projections/{name}}, {@code /v1/projections/{name}/state} and
 * {@code /v1/projections/{name}/state/{key}}: create, list, describe, query and delete projections.
 * Thread-safe; never blocks.
 */
final class ProjectionResources {

    static final int DEFAULT_LIMIT = 100;

    private final Projections projections;

    ProjectionResources(Projections projections) {
        this.projections = projections;
    }

    /** {@code POST /v1/projections}: 201 with the description. */
    Future<Answer> create(JsonNode body) {
        return projections.create(body).map(d -> Answer.created(d,
                RestHandler.PREFIX + "/projections/" + d.path("name").asText()));
    }

    /** {@code GET /v1/projections}. */
    Future<Answer> list() {
        ObjectNode out = RestJson.object();
        ArrayNode all = out.putArray("projections");
        projections.list().forEach(all::add);
        return Future.succeededFuture(Answer.ok(out));
    }

    /** {@code GET /v1/projections/{name}}. */
    Future<Answer> describe(String name) {
        return Future.succeededFuture(Answer.ok(projections.describe(name)));
    }

    /** {@code GET /v1/projections/{name}/state/{key}}. */
    Future<Answer> state(String name, String key) {
        return Future.succeededFuture(Answer.ok(projections.state(name, key)));
    }

    /** {@code GET /v1/projections/{name}/state?limit=&cursor=}. */
    Future<Answer> states(String name, int limit, String cursor) {
        return Future.succeededFuture(Answer.ok(projections.states(name, limit, cursor)));
    }

    /** {@code DELETE /v1/projections/{name}}: 204. */
    Future<Answer> delete(String name) {
        return projections.delete(name).map(v -> Answer.noContent());
    }
}
