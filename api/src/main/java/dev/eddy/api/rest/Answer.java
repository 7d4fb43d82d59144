package dev.eddy.api.rest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A successful REST answer: an HTTP status and a JSON body ({@code null} for none). Immutable.
 *
 * @param status   the HTTP status
 * @param body     the JSON body, or {@code null} for an empty answer
 * @param location the {@code Location} header of a created resource, or {@code null}
 */
record Answer(int status, JsonNode body, String location) {

    static Answer ok(JsonNode body) {
        return new Answer(200, body, null);
    }

    static Answer created(JsonNode body, String location) {
        return new Answer(201, body, location);
    }

    static Answer accepted(JsonNode body) {
        return new Answer(202, body, null);
    }

    static Answer noContent() {
        return new Answer(204, null, null);
    }
}
