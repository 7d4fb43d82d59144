package dev.eddy.api.kinesis;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.eddy.platform.PutEntry;

import java.util.ArrayList;
import java.util.List;

/**
 * A PutRecords request as decoded, before validation: the entries (members may be null; validation
 * reports them) and the stream's name, ARN and id as given. Immutable once built.
 *
 * @param records    the entries, or {@code null} when the body has no Records
 * @param streamName StreamName or {@code null}
 * @param streamArn  StreamARN or {@code null}
 * @param streamId   StreamId or {@code null}
 */
record PutRecordsRequest(List<PutEntry> records, String streamName, String streamArn, String streamId) {

    /** Reads a parsed body, member by member in the order that decides which type error is reported. */
    static PutRecordsRequest of(Params p) {
        ArrayNode list = p.list("Records");
        List<PutEntry> records = null;
        if (list != null) {
            records = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                Params r = p.element(list.get(i), "records." + (i + 1) + ".member");
                byte[] data = r.blob("Data");
                String key = r.string("PartitionKey");
                String hashKey = r.string("ExplicitHashKey");
                records.add(PutEntry.of(key, hashKey, data));
            }
        }
        String name = p.string("StreamName");
        String arn = p.string("StreamARN");
        return new PutRecordsRequest(records, name, arn, p.string("StreamId"));
    }
}
