/**
 * The REST API under {@code /v1}: stream basics, event-sourcing appends with an expected version, an
 * aggregate's history, and shard reads, as JSON, with errors as {@code application/problem+json}.
 */
package dev.eddy.api.rest;
