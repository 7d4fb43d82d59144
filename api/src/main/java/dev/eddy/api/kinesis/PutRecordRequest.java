package dev.eddy.api.kinesis;

/**
 * A PutRecord request as decoded, before validation; any member may be null. Immutable.
 *
 * @param data            Data
 * @param partitionKey    PartitionKey
 * @param explicitHashKey ExplicitHashKey
 * @param ordering        SequenceNumberForOrdering
 * @param streamName      StreamName
 * @param streamArn       StreamARN
 * @param streamId        StreamId
 */
record PutRecordRequest(byte[] data, String partitionKey, String explicitHashKey, String ordering,
                        String streamName, String streamArn, String streamId) {

    /** Reads a parsed body, member by member in the order that decides which type error is reported. */
    static PutRecordRequest of(Params p) {
        byte[] data = p.blob("Data");
        String key = p.string("PartitionKey");
        String hashKey = p.string("ExplicitHashKey");
        String ordering = p.string("SequenceNumberForOrdering");
        String name = p.string("StreamName");
        String arn = p.string("StreamARN");
        return new PutRecordRequest(data, key, hashKey, ordering, name, arn, p.string("StreamId"));
    }
}
