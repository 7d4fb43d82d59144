package dev.eddy.platform.impl;

import dev.eddy.eventstore.spi.EventStore;
import dev.eddy.platform.ConsumerGroups;
import dev.eddy.platform.GroupAssignment;
import dev.eddy.platform.GroupDescription;
import dev.eddy.platform.GroupMember;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Shard;
import io.vertx.core.Future;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@link ConsumerGroups} for one server: membership and assignments in memory, checkpoints in the store's
 * metadata, namespace {@code groups/<stream uid>}, key {@code <group>/<shardId>}, value the sequence number.
 *
 * <p>Assignment: the stream's open shards in shard-id order, dealt round-robin to the members in join order.
 * Every join and leave starts a new generation and tells every member its shards. A checkpoint is accepted
 * only from the shard's current owner and is visible to the next owner at once (before it is durable), so
 * a takeover re-delivers only what came after the last accepted checkpoint. Checkpoint writes of a group
 * are chained, so the store ends with the last accepted one. Thread-safe: each group is a monitor.
 */
final class ConsumerGroupsImpl implements ConsumerGroups {

    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_.-]{1,128}");
    private static final String NAMESPACE_PREFIX = "groups/";

    private final EventStore store;
    private final Function<String, StreamMeta> readable;
    private final ConcurrentMap<String, Future<Group>> groups = new ConcurrentHashMap<>();
    private final AtomicLong memberIds = new AtomicLong();

    /**
     * @param store    where checkpoints live
     * @param readable the metadata of a stream that can be read; throws RESOURCE_NOT_FOUND otherwise
     */
    ConsumerGroupsImpl(EventStore store, Function<String, StreamMeta> readable) {
        this.store = store;
        this.readable = readable;
    }

    @Override
    public Future<GroupMember> join(String stream, String group, Consumer<GroupAssignment> listener) {
        return existing(stream, group).map(g -> g.join(listener));
    }

    @Override
    public Future<GroupDescription> describe(String stream, String group) {
        return existing(stream, group).compose(g -> {
            GroupDescription d = g.describe();
            if (d.members().isEmpty() && d.checkpoints().isEmpty()) {
                return Future.failedFuture(PlatformException.notFound("Consumer group " + group + " of stream "
                        + stream + " not found: it has no members and no checkpoints."));
            }
            return Future.succeededFuture(d);
        });
    }

    @Override
    public Future<List<GroupDescription>> list(String stream) {
        StreamMeta meta;
        try {
            meta = readable.apply(stream);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        return store.list(namespace(meta)).recover(StreamsImpl::storageFailure).compose(stored -> {
            TreeSet<String> names = new TreeSet<>();
            for (String key : stored.keySet()) {
                names.add(key.substring(0, key.lastIndexOf('/')));
            }
            String prefix = meta.uid() + "\n";
            for (var e : groups.entrySet()) {
                Future<Group> loaded = e.getValue();
                if (e.getKey().startsWith(prefix) && loaded.succeeded() && loaded.result().hasMembers()) {
                    names.add(loaded.result().name);
                }
            }
            List<Future<GroupDescription>> all = new ArrayList<>();
            for (String name : names) {
                all.add(group(meta, name).map(Group::describe));
            }
            return Future.all(all).map(f -> f.<GroupDescription>list());
        });
    }

    @Override
    public Future<Void> delete(String stream, String group) {
        return existing(stream, group).compose(g -> g.forget().onSuccess(v -> groups.remove(g.uid + "\n" + g.name)));
    }

    /** The group of a readable stream, loaded on first use; fails for a bad name or an unknown stream. */
    private Future<Group> existing(String stream, String group) {
        StreamMeta meta;
        try {
            checkGroupName(group);
            meta = readable.apply(stream);
        } catch (PlatformException e) {
            return Future.failedFuture(e);
        }
        return group(meta, group);
    }

    /** A reshard of the stream committed: every loaded group of it deals its shards again. */
    void resharded(StreamMeta meta) {
        String prefix = meta.uid() + "\n";
        for (var e : groups.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                e.getValue().onSuccess(Group::resharded);
            }
        }
    }

    /** See {@link Group#drained}: {@code member} is a member handed out by {@link #join}. */
    Future<Void> drained(GroupMember member, String shardId) {
        Member m = (Member) member;
        return m.group.drained(m, shardId);
    }

    /** Drops every group of a stream incarnation that is being removed (checkpoints and memory). */
    Future<Void> purge(StreamMeta meta) {
        groups.keySet().removeIf(k -> k.startsWith(meta.uid() + "\n"));
        String namespace = namespace(meta);
        return store.list(namespace).compose(stored -> {
            List<Future<Void>> removals = new ArrayList<>();
            for (String key : stored.keySet()) {
                removals.add(store.remove(namespace, key));
            }
            return Future.all(removals).<Void>mapEmpty();
        });
    }

    private Future<Group> group(StreamMeta meta, String name) {
        String key = key(meta, name);
        Future<Group> group = groups.computeIfAbsent(key, k -> load(meta, name));
        return group.recover(err -> {
            groups.remove(key, group);
            return StreamsImpl.storageFailure(err);
        });
    }

    private Future<Group> load(StreamMeta meta, String name) {
        return store.list(namespace(meta)).map(stored -> {
            Map<String, String> checkpoints = new HashMap<>();
            String prefix = name + "/";
            for (var e : stored.entrySet()) {
                if (e.getKey().startsWith(prefix) && e.getKey().indexOf('/', prefix.length()) < 0) {
                    checkpoints.put(e.getKey().substring(prefix.length()),
                            new String(e.getValue(), StandardCharsets.US_ASCII));
                }
            }
            return new Group(meta.name(), meta.uid(), name, checkpoints);
        });
    }

    private static String key(StreamMeta meta, String group) {
        return meta.uid() + "\n" + group;
    }

    private static String namespace(StreamMeta meta) {
        return NAMESPACE_PREFIX + meta.uid();
    }

    private static void checkGroupName(String group) {
        if (group == null || !NAME.matcher(group).matches()) {
            throw PlatformException.invalidArgument("Invalid group name '" + group
                    + "': it must match [a-zA-Z0-9_.-]+ and be 1 to 128 characters long.");
        }
    }

    /** One group of one stream incarnation. Guarded by its own monitor. */
    private final class Group {

        final String stream;
        final String uid;
        final String name;
        private final List<Member> members = new ArrayList<>();
        private final Map<String, Member> owners = new HashMap<>();
        private final Map<String, String> checkpoints;
        private long generation;
        private Future<Void> writes = Future.succeededFuture();
        private boolean forgotten;

        Group(String stream, String uid, String name, Map<String, String> checkpoints) {
            this.stream = stream;
            this.uid = uid;
            this.name = name;
            this.checkpoints = checkpoints;
        }

        synchronized Member join(Consumer<GroupAssignment> listener) {
            Member member = new Member(this, "member-" + memberIds.incrementAndGet(), listener);
            members.add(member);
            rebalance();
            return member;
        }

        synchronized void leave(Member member) {
            if (members.remove(member)) {
                rebalance();
            }
        }

        synchronized boolean hasMembers() {
            return !members.isEmpty();
        }

        synchronized GroupDescription describe() {
            List<GroupDescription.Member> list = new ArrayList<>();
            for (Member m : members) {
                list.add(new GroupDescription.Member(m.id, shardsOf(m)));
            }
            return new GroupDescription(stream, name, generation, list, checkpoints);
        }

        synchronized Future<Void> forget() {
            if (!members.isEmpty()) {
                return Future.failedFuture(PlatformException.inUse("Consumer group " + name + " of stream " + stream
                        + " has " + members.size() + " connected member(s); close them before deleting the group."));
            }
            forgotten = true;
            String namespace = NAMESPACE_PREFIX + uid;
            List<String> shardIds = new ArrayList<>(checkpoints.keySet());
            checkpoints.clear();
            writes = writes.transform(ignored -> {
                List<Future<Void>> removals = new ArrayList<>();
                for (String shardId : shardIds) {
                    removals.add(store.remove(namespace, name + "/" + shardId));
                }
                return Future.all(removals).<Void>mapEmpty();
            });
            return writes.recover(StreamsImpl::storageFailure);
        }

        /**
         * Deals the shards and tells every member; called with the monitor held. Sticky: a shard stays with its
         * owner while the owner is a member and not above its share (members get {@code n / m} shards, the first
         * to join one more while some are left over), so a rebalance moves only what it must and a shard that
         * moves is re-read only after its last checkpoint. The shards left over go, in shard order, to the
         * members below their share, in the order they joined.
         */
        private void rebalance() {
            generation++;
            Map<String, Member> previous = new HashMap<>(owners);
            owners.clear();
            List<String> shardIds = assignableShards();
            if (!members.isEmpty()) {
                int share = shardIds.size() / members.size();
                int extra = shardIds.size() % members.size();
                List<String> pool = new ArrayList<>();
                Map<Member, List<String>> kept = new HashMap<>();
                for (String shardId : shardIds) {
                    Member owner = previous.get(shardId);
                    if (owner != null && members.contains(owner)) {
                        kept.computeIfAbsent(owner, k -> new ArrayList<>()).add(shardId);
                    } else {
                        pool.add(shardId);
                    }
                }
                int[] room = new int[members.size()];
                for (int i = 0; i < members.size(); i++) {
                    Member m = members.get(i);
                    int target = share + (i < extra ? 1 : 0);
                    List<String> mine = kept.getOrDefault(m, new ArrayList<>());
                    while (mine.size() > target) {
                        pool.add(mine.remove(mine.size() - 1));
                    }
                    mine.forEach(id -> owners.put(id, m));
                    room[i] = target - mine.size();
                }
                pool.sort(null);
                int next = 0;
                for (int i = 0; i < members.size(); i++) {
                    for (; room[i] > 0 && next < pool.size(); room[i]--) {
                        owners.put(pool.get(next++), members.get(i));
                    }
                }
            }
            for (Member m : members) {
                List<String> mine = shardsOf(m);
                Map<String, String> resume = new LinkedHashMap<>();
                for (String shardId : mine) {
                    String checkpoint = checkpoints.get(shardId);
                    if (checkpoint != null) {
                        resume.put(shardId, checkpoint);
                    }
                }
                m.listener.accept(new GroupAssignment(stream, name, m.id, generation, members.size(), mine, resume));
            }
        }

        /**
         * The shards the group reads now: every shard it has not finished whose parents it has finished (as KCL
         * leases them), so a parent is read to its end before its children. A closed shard is finished once its
         * checkpoint reaches its ending sequence number (or it was drained empty); a parent no longer in the
         * stream counts as finished.
         */
        private List<String> assignableShards() {
            StreamMeta meta;
            try {
                meta = readable.apply(stream);
            } catch (PlatformException e) {
                return List.of();
            }
            if (!meta.uid().equals(uid)) {
                return List.of();
            }
            List<String> assignable = new ArrayList<>();
            for (Shard shard : meta.shards()) {
                if (!finished(meta, shard.shardId()) && finished(meta, shard.parentShardId())
                        && finished(meta, shard.adjacentParentShardId())) {
                    assignable.add(shard.shardId());
                }
            }
            assignable.sort(null);
            return assignable;
        }

        private boolean finished(StreamMeta meta, String shardId) {
            if (shardId == null) {
                return true;
            }
            int index = ShardIds.index(shardId);
            if (index < 0 || index >= meta.shards().size()) {
                return true;
            }
            Shard shard = meta.shards().get(index);
            String checkpoint = checkpoints.get(shardId);
            if (shard.isOpen() || checkpoint == null) {
                return false;
            }
            return SequenceNumbers.position(checkpoint, meta.createdMillis(), index, shardId)
                    >= SequenceNumbers.position(shard.endingSequenceNumber(), meta.createdMillis(), index, shardId);
        }

        /** The stream's layout changed (a reshard): deal the shards again. */
        synchronized void resharded() {
            if (!forgotten && !members.isEmpty()) {
                rebalance();
            }
        }

        /**
         * A member read a closed shard to its end without finding a record past the group's checkpoint (or any,
         * without one): nothing of it is left to process, so the group records it as finished at its ending
         * sequence number and its children can be dealt.
         */
        synchronized Future<Void> drained(Member member, String shardId) {
            StreamMeta meta;
            try {
                meta = readable.apply(stream);
            } catch (PlatformException e) {
                return Future.failedFuture(e);
            }
            int index = ShardIds.index(shardId);
            if (forgotten || owners.get(shardId) != member || !meta.uid().equals(uid) || index < 0
                    || index >= meta.shards().size() || meta.shards().get(index).isOpen()) {
                return Future.succeededFuture();
            }
            return store(shardId, meta.shards().get(index).endingSequenceNumber());
        }

        private List<String> shardsOf(Member member) {
            List<String> mine = new ArrayList<>();
            for (var e : new TreeMap<>(owners).entrySet()) {
                if (e.getValue() == member) {
                    mine.add(e.getKey());
                }
            }
            return mine;
        }

        Future<Void> checkpoint(Member member, String shardId, String sequenceNumber) {
            StreamMeta meta;
            int index;
            long position;
            try {
                meta = readable.apply(stream);
                if (!meta.uid().equals(uid)) {
                    throw PlatformException.notFound("Stream " + stream + " was deleted.");
                }
                index = shardId == null ? -1 : ShardIds.index(shardId);
                if (index < 0 || index >= meta.shards().size()) {
                    throw PlatformException.invalidArgument("Shard " + shardId + " does not exist in stream " + stream);
                }
                position = SequenceNumbers.position(sequenceNumber, meta.createdMillis(), index, shardId);
            } catch (PlatformException e) {
                return Future.failedFuture(e);
            }
            return store.state(meta.logName(index)).recover(StreamsImpl::storageFailure).compose(state -> {
                if (position >= state.nextPosition()) {
                    return Future.failedFuture(PlatformException.invalidArgument("Sequence number " + sequenceNumber
                            + " is beyond the last record of " + shardId + "; checkpoint only what you received."));
                }
                return accept(member, shardId, sequenceNumber);
            });
        }

        private synchronized Future<Void> accept(Member member, String shardId, String sequenceNumber) {
            if (forgotten || owners.get(shardId) != member) {
                return Future.failedFuture(PlatformException.inUse("Shard " + shardId + " is not assigned to "
                        + member.id + " in group " + name + " (generation " + generation + "); its new owner resumes"
                        + " after the last checkpoint."));
            }
            return store(shardId, sequenceNumber);
        }

        /** Records a checkpoint (durably, in order); one that finishes a closed shard deals its children. */
        private Future<Void> store(String shardId, String sequenceNumber) {
            checkpoints.put(shardId, sequenceNumber);
            byte[] value = sequenceNumber.getBytes(StandardCharsets.US_ASCII);
            writes = writes.transform(ignored -> store.put(NAMESPACE_PREFIX + uid, name + "/" + shardId, value));
            Future<Void> written = writes.recover(StreamsImpl::storageFailure);
            StreamMeta meta;
            try {
                meta = readable.apply(stream);
            } catch (PlatformException e) {
                return written;
            }
            if (meta.uid().equals(uid) && finished(meta, shardId)) {
                return written.onSuccess(v -> {
                    synchronized (this) {
                        if (!forgotten && !members.isEmpty()) {
                            rebalance();
                        }
                    }
                });
            }
            return written;
        }
    }

    /** A member's handle. */
    private static final class Member implements GroupMember {

        private final Group group;
        private final String id;
        private final Consumer<GroupAssignment> listener;

        Member(Group group, String id, Consumer<GroupAssignment> listener) {
            this.group = group;
            this.id = id;
            this.listener = listener;
        }

        @Override
        public String memberId() {
            return id;
        }

        @Override
        public Future<Void> checkpoint(String shardId, String sequenceNumber) {
            return group.checkpoint(this, shardId, sequenceNumber);
        }

        @Override
        public void leave() {
            group.leave(this);
        }
    }
}
