package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.platform.ConsumerGroups;
import dev.eddy.platform.CreateStreamRequest;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GroupAssignment;
import dev.eddy.platform.GroupDescription;
import dev.eddy.platform.GroupMember;
import dev.eddy.platform.Platform;
import dev.eddy.platform.PlatformOptions;
import dev.eddy.platform.PutEntry;
import dev.eddy.platform.PutResult;
import dev.eddy.platform.StreamMode;
import dev.eddy.platform.Streams;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.eddy.platform.impl.PlatformFutures.await;
import static dev.eddy.platform.impl.PlatformFutures.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsumerGroupsTest {

    @TempDir
    Path dir;
    private Vertx vertx;
    private EventStore store;
    private Streams streams;

    @BeforeEach
    void setUp() throws Exception {
        vertx = Vertx.vertx();
        open();
        await(streams.createStream(new CreateStreamRequest("orders", 4, StreamMode.PROVISIONED, Map.of())));
    }

    private void open() throws Exception {
        store = await(EventStores.mapdb(vertx, dir));
        streams = await(Platform.start(vertx, store, PlatformOptions.defaults()));
    }

    @AfterEach
    void tearDown() throws Exception {
        await(store.close());
        await(vertx.close());
    }

    /** Records every assignment a member is given. */
    private static final class Assignments {
        final List<GroupAssignment> seen = new CopyOnWriteArrayList<>();

        GroupAssignment last() {
            return seen.get(seen.size() - 1);
        }
    }

    private GroupMember join(String group, Assignments into) throws Exception {
        return await(streams.consumerGroups().join("orders", group, into.seen::add));
    }

    private List<PutResult> put(int n) throws Exception {
        List<PutEntry> entries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entries.add(PutEntry.of("key-" + i, null, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return await(streams.putRecords("orders", entries));
    }

    @Test
    void membersSplitTheShardsAndRebalanceWhenOneLeaves() throws Exception {
        Assignments a = new Assignments();
        GroupMember first = join("billing", a);
        assertEquals(List.of("shardId-000000000000", "shardId-000000000001", "shardId-000000000002",
                "shardId-000000000003"), a.last().shardIds());
        assertEquals(1, a.last().memberCount());

        Assignments b = new Assignments();
        GroupMember second = join("billing", b);
        assertEquals(2, a.last().shardIds().size());
        assertEquals(2, b.last().shardIds().size());
        assertEquals(a.last().generation(), b.last().generation());
        Set<String> union = new HashSet<>(a.last().shardIds());
        union.addAll(b.last().shardIds());
        assertEquals(4, union.size(), "every shard has exactly one owner");

        // Another group of the same stream is independent.
        Assignments other = new Assignments();
        join("audit", other);
        assertEquals(4, other.last().shardIds().size());

        long generation = b.last().generation();
        second.leave();
        second.leave();
        assertEquals(4, a.last().shardIds().size());
        assertTrue(a.last().generation() > generation);
        assertEquals(generation, b.last().generation(), "a member that left gets no further assignment");

        GroupDescription d = await(streams.consumerGroups().describe("orders", "billing"));
        assertEquals(1, d.members().size());
        assertEquals(first.memberId(), d.members().get(0).memberId());
        assertEquals(4, d.members().get(0).shardIds().size());
    }

    @Test
    void checkpointsAreCheckedStoredDurablyAndGivenToTheNextOwner() throws Exception {
        List<PutResult> puts = put(40);
        Assignments a = new Assignments();
        GroupMember member = join("billing", a);
        PutResult on0 = puts.stream().filter(r -> r.shardId().equals("shardId-000000000000")).reduce((x, y) -> y)
                .orElseThrow();
        await(member.checkpoint(on0.shardId(), on0.sequenceNumber()));

        // A number of another shard, garbage, an unknown shard: INVALID_ARGUMENT, nothing stored.
        PutResult on1 = puts.stream().filter(r -> r.shardId().equals("shardId-000000000001")).findFirst().orElseThrow();
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(member.checkpoint(on0.shardId(), on1.sequenceNumber())).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(member.checkpoint(on0.shardId(), "12345")).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(member.checkpoint("shardId-000000000009",
                on0.sequenceNumber())).code());
        // Beyond the shard's last record: the client cannot have received it.
        String future = on0.sequenceNumber().substring(0, 36) + "00000000000000099999";
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(member.checkpoint(on0.shardId(), future)).code());

        // A second member takes shards 1 and 3: the first may no longer checkpoint them.
        Assignments b = new Assignments();
        GroupMember second = join("billing", b);
        String taken = b.last().shardIds().get(0);
        PutResult onTaken = puts.stream().filter(r -> r.shardId().equals(taken)).findFirst().orElseThrow();
        assertEquals(ErrorCode.RESOURCE_IN_USE, failure(member.checkpoint(taken, onTaken.sequenceNumber())).code());
        await(second.checkpoint(taken, onTaken.sequenceNumber()));

        // The member that takes over after a leave resumes after the stored checkpoint.
        second.leave();
        assertEquals(Map.of(on0.shardId(), on0.sequenceNumber(), taken, onTaken.sequenceNumber()),
                a.last().checkpoints());

        // Durable: after a restart of the store a new member gets the same checkpoints.
        member.leave();
        await(store.close());
        open();
        Assignments c = new Assignments();
        join("billing", c);
        assertEquals(Map.of(on0.shardId(), on0.sequenceNumber(), taken, onTaken.sequenceNumber()),
                c.last().checkpoints());
        GroupDescription d = await(streams.consumerGroups().describe("orders", "billing"));
        assertEquals(2, d.checkpoints().size());
    }

    @Test
    void listDescribeDeleteAndStreamDeletion() throws Exception {
        ConsumerGroups groups = streams.consumerGroups();
        List<PutResult> puts = put(4);
        Assignments a = new Assignments();
        GroupMember member = join("billing", a);
        await(member.checkpoint(puts.get(0).shardId(), puts.get(0).sequenceNumber()));
        join("audit", new Assignments());
        assertEquals(List.of("audit", "billing"), await(groups.list("orders")).stream().map(GroupDescription::group)
                .toList());

        assertEquals(ErrorCode.RESOURCE_IN_USE, failure(groups.delete("orders", "billing")).code());
        member.leave();
        await(groups.delete("orders", "billing"));
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(groups.describe("orders", "billing")).code());
        assertEquals(ErrorCode.INVALID_ARGUMENT, failure(groups.join("orders", "bad/name", x -> { })).code());
        assertEquals(ErrorCode.RESOURCE_NOT_FOUND, failure(groups.join("nope", "billing", x -> { })).code());

        // A stream deleted and created again starts without the old groups' checkpoints.
        GroupMember again = join("billing", new Assignments());
        await(again.checkpoint(puts.get(1).shardId(), puts.get(1).sequenceNumber()));
        again.leave();
        await(streams.deleteStream("orders", false));
        await(streams.createStream(new CreateStreamRequest("orders", 4, StreamMode.PROVISIONED, Map.of())));
        Assignments fresh = new Assignments();
        join("billing", fresh);
        assertEquals(Map.of(), fresh.last().checkpoints());
    }
}
