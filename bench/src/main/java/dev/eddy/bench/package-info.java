/**
 * The Eddy load generator ({@code java -jar eddy-bench.jar}): writes, reads back and verifies records through
 * the real AWS SDK for Java v2, or measures acknowledgement and put-to-receive latency through WebSocket
 * subscribers, and reports throughput, latency and the server's CPU per record. A client: it uses no server class.
 */
package dev.eddy.bench;
