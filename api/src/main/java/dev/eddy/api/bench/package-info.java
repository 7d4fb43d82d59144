/**
 * The {@code eddy bench} load generator: writes, reads back and verifies records through the real AWS SDK
 * for Java v2, and reports throughput and latency.
 */
package dev.eddy.api.bench;
