/**
 * WebSocket subscriptions ({@code GET /v1/streams/{stream}/subscribe}): catch-up then live push of a
 * stream's records as JSON frames, with per-socket back-pressure and optional credit-based flow.
 */
package dev.eddy.api.ws;
