package dev.eddy.platform;

/**
 * Where a record landed, or why it did not (PutRecords reports per entry). Immutable.
 *
 * @param shardId        the shard, or {@code null} on failure
 * @param sequenceNumber the sequence number, or {@code null} on failure
 * @param version        the record's version within its partition key, or -1 on failure
 * @param errorCode      {@code null} on success, else the Kinesis error code
 *                       (ProvisionedThroughputExceededException or InternalFailure)
 * @param errorMessage   {@code null} on success
 */
public record PutResult(String shardId, String sequenceNumber, long version, String errorCode, String errorMessage) {

    public static PutResult success(String shardId, String sequenceNumber, long version) {
        return new PutResult(shardId, sequenceNumber, version, null, null);
    }

    public static PutResult failure(String errorCode, String errorMessage) {
        return new PutResult(null, null, -1, errorCode, errorMessage);
    }

    public boolean failed() {
        return errorCode != null;
    }
}
