/**
 * The Kinesis Data Streams wire protocol (JSON 1.1 and CBOR 1.1) over the platform: decoding, validation
 * at the edge, action dispatch and the one mapping of failures to Kinesis errors.
 */
package dev.eddy.api.kinesis;
