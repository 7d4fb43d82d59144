package dev.eddy.api.e2e;

import dev.eddy.eventstore.postgres.PostgresTestServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.PutRecordResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.waiters.KinesisWaiter;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A SIGKILL while a shard splits, under load, several times over: after each restart the stream is either before
 * or after the split (never half-split: a closed shard always has both children, the open shards tile the
 * hash-key space), a split the client saw acknowledged is there, and every acknowledged record is read back
 * once, parents before children, from the shard the server named.
 */
class ReshardCrashIT {

    private static final String STREAM = "reshard-crash";
    /** How long after the split call starts each round's SIGKILL comes: before, while and after it runs. */
    private static final int[] KILL_AFTER_MILLIS = {5, 40, 65, 80, 95, 110, 150};
    private static final int ROUNDS = KILL_AFTER_MILLIS.length;
    private static final int WRITERS = 3;

    /** An acknowledged record: where the server said it put it, and what it was. */
    private record Acked(String shardId, String data) {
    }

    private final Map<String, Acked> acked = new ConcurrentHashMap<>();

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mapdb", "postgres"})
    void aSplitCutShortBySigkillIsAllOrNothing(String storage, @TempDir Path dataDir) throws Exception {
        List<String> storageArgs = storage.equals("postgres")
                ? List.of("--storage", "postgres", "--pg-url", PostgresTestServer.createDatabase())
                : List.of("--storage", "mapdb", "--data-dir", dataDir.toString());
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round <= ROUNDS; round++) {
            EddyProcess eddy = EddyProcess.start(storageArgs, dataDir);
            try (KinesisClient client = SdkClients.syncNoRetries(eddy.endpoint(), WRITERS + 2, Duration.ofSeconds(60))) {
                if (round == 0) {
                    client.createStream(b -> b.streamName(STREAM).shardCount(2));
                }
                try (KinesisWaiter waiter = KinesisWaiter.builder().client(client)
                        .overrideConfiguration(SdkClients.FAST_WAITER).build()) {
                    waiter.waitUntilStreamExists(b -> b.streamName(STREAM)).matched().response().orElseThrow();
                }
                verify(client, eddy);
                if (round == ROUNDS) {
                    eddy.stop();
                    return;
                }
                AtomicBoolean stop = new AtomicBoolean();
                List<Thread> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    int writer = w;
                    Thread t = new Thread(() -> write(client, round(writer), stop), "writer-" + w);
                    t.start();
                    writers.add(t);
                }
                Thread.sleep(300);
                List<Shard> open = client.listShards(b -> b.streamName(STREAM)).shards().stream()
                        .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).toList();
                Shard target = open.get(random.nextInt(open.size()));
                BigInteger start = new BigInteger(target.hashKeyRange().startingHashKey());
                BigInteger end = new BigInteger(target.hashKeyRange().endingHashKey());
                String at = start.add(end).shiftRight(1).toString();
                AtomicBoolean splitAcknowledged = new AtomicBoolean();
                Thread splitter = new Thread(() -> {
                    try {
                        client.splitShard(b -> b.streamName(STREAM).shardToSplit(target.shardId()).newStartingHashKey(at));
                        splitAcknowledged.set(true);
                    } catch (RuntimeException killed) {
                        // the server died first: the split may or may not have happened
                    }
                });
                splitter.start();
                Thread.sleep(KILL_AFTER_MILLIS[round]);
                assertEquals(137, eddy.kill(), "exit code after SIGKILL");
                stop.set(true);
                splitter.join();
                for (Thread t : writers) {
                    t.join();
                }
                if (splitAcknowledged.get()) {
                    acknowledgedSplits.add(target.shardId());
                }
                attempted.add(target.shardId());
            } catch (Throwable t) {
                eddy.kill();
                throw t;
            }
        }
    }

    private final Set<String> acknowledgedSplits = ConcurrentHashMap.newKeySet();
    private final Set<String> attempted = ConcurrentHashMap.newKeySet();

    private static String round(int writer) {
        return "w" + writer + "-" + System.nanoTime();
    }

    private void write(KinesisClient client, String prefix, AtomicBoolean stop) {
        for (int i = 0; !stop.get(); i++) {
            String key = prefix + "-" + (i % 8);
            String data = prefix + "#" + i;
            try {
                PutRecordResponse r = client.putRecord(b -> b.streamName(STREAM).partitionKey(key)
                        .data(SdkBytes.fromUtf8String(data)));
                acked.put(r.sequenceNumber(), new Acked(r.shardId(), data));
            } catch (RuntimeException killed) {
                return;
            }
        }
    }

    private void verify(KinesisClient client, EddyProcess eddy) {
        List<Shard> all = client.listShards(b -> b.streamName(STREAM)).shards();
        Map<String, List<Shard>> children = new HashMap<>();
        for (Shard s : all) {
            if (s.parentShardId() != null) {
                children.computeIfAbsent(s.parentShardId(), k -> new ArrayList<>()).add(s);
            }
        }
        for (Shard s : all) {
            boolean closed = s.sequenceNumberRange().endingSequenceNumber() != null;
            int kids = children.getOrDefault(s.shardId(), List.of()).size();
            assertEquals(closed ? 2 : 0, kids, s.shardId() + " closed=" + closed + " has " + kids + " children; "
                    + eddy.diagnostics());
        }
        for (String parent : acknowledgedSplits) {
            assertTrue(children.containsKey(parent), "the acknowledged split of " + parent + " is lost");
        }
        // How the kills fell (for the log): splits attempted, acknowledged, and present after the restart.
        System.out.println("ReshardCrashIT: splits attempted " + attempted + ", acknowledged " + acknowledgedSplits
                + ", done " + children.keySet() + ", " + acked.size() + " records acknowledged");
        List<Shard> open = new ArrayList<>(all.stream()
                .filter(s -> s.sequenceNumberRange().endingSequenceNumber() == null).toList());
        open.sort(Comparator.comparing(s -> new BigInteger(s.hashKeyRange().startingHashKey())));
        BigInteger next = BigInteger.ZERO;
        for (Shard s : open) {
            assertEquals(next, new BigInteger(s.hashKeyRange().startingHashKey()), "the open shards leave a gap");
            next = new BigInteger(s.hashKeyRange().endingHashKey()).add(BigInteger.ONE);
        }
        assertEquals(Shards.MAX_HASH_KEY.add(BigInteger.ONE), next, "the open shards cover the hash-key space");

        Set<String> done = new HashSet<>();
        Set<String> seen = new HashSet<>();
        while (done.size() < all.size()) {
            for (Shard s : all) {
                if (done.contains(s.shardId()) || s.parentShardId() != null && !done.contains(s.parentShardId())) {
                    continue;
                }
                for (Record r : Shards.readShard(client, STREAM, s.shardId())) {
                    assertTrue(seen.add(r.sequenceNumber()), "read twice: " + r.sequenceNumber());
                    Acked a = acked.get(r.sequenceNumber());
                    if (a != null) {
                        assertEquals(a.shardId(), s.shardId(), "record " + r.sequenceNumber() + " moved shards");
                        assertEquals(a.data(), r.data().asUtf8String());
                    }
                }
                done.add(s.shardId());
            }
        }
        for (Map.Entry<String, Acked> e : acked.entrySet()) {
            assertTrue(seen.contains(e.getKey()), "acknowledged record " + e.getKey() + " in " + e.getValue().shardId()
                    + " is lost; " + eddy.diagnostics());
        }
    }
}
