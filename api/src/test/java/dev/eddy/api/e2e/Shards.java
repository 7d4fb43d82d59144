package dev.eddy.api.e2e;

import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/** Test helpers over the wire: creating streams, routing arithmetic and reading shards to the end. Stateless. */
final class Shards {

    static final BigInteger MAX_HASH_KEY = BigInteger.TWO.pow(128).subtract(BigInteger.ONE);

    private Shards() {
    }

    /** Creates a stream of {@code shards} shards and waits (with the fast waiter) until it exists. */
    static void createStream(KinesisClient client, String name, int shards) {
        client.createStream(b -> b.streamName(name).shardCount(shards));
        try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
            waiter.waitUntilStreamExists(b -> b.streamName(name));
        }
    }

    /** MD5 of the UTF-8 partition key as an unsigned 128-bit integer, as Kinesis routes. */
    static BigInteger hashKey(String partitionKey) {
        try {
            byte[] md5 = MessageDigest.getInstance("MD5").digest(partitionKey.getBytes(StandardCharsets.UTF_8));
            return new BigInteger(1, md5);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The shard whose hash-key range holds {@code hashKey}. */
    static Shard shardFor(BigInteger hashKey, List<Shard> shards) {
        return shards.stream()
                .filter(s -> new BigInteger(s.hashKeyRange().startingHashKey()).compareTo(hashKey) <= 0
                        && new BigInteger(s.hashKeyRange().endingHashKey()).compareTo(hashKey) >= 0)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no shard holds hash key " + hashKey + " in " + shards));
    }

    /** Every record from the iterator until an empty answer at the tip (bounded, so a bug cannot hang the test). */
    static List<Record> readAll(KinesisClient client, String iterator) {
        List<Record> records = new ArrayList<>();
        for (int calls = 0; iterator != null; calls++) {
            if (calls > 10_000) {
                throw new AssertionError("GetRecords never ran dry after " + calls + " calls");
            }
            String it = iterator;
            GetRecordsResponse response = client.getRecords(b -> b.shardIterator(it).limit(10_000));
            records.addAll(response.records());
            iterator = response.nextShardIterator();
            Long behind = response.millisBehindLatest();
            if (response.records().isEmpty() && (behind == null || behind == 0 || calls > 100)) {
                break;
            }
        }
        return records;
    }

    /** Every record of a shard from TRIM_HORIZON. */
    static List<Record> readShard(KinesisClient client, String stream, String shardId) {
        String iterator = client.getShardIterator(b -> b.streamName(stream).shardId(shardId)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        return readAll(client, iterator);
    }

    /** The records' data as UTF-8 strings, in order. */
    static List<String> texts(List<Record> records) {
        return records.stream().map(r -> r.data().asUtf8String()).toList();
    }
}
