package dev.eddy.platform.impl;

import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The live end of one shard, read once for every feed that has caught up with it. Feeds catch up on their own
 * ({@link FeedShardReader}); once a read reaches the shard's newest record the reader joins the tail at its
 * next position, and from then on the tail reads each new page once and hands it to the members, grouped by
 * context (one task per context and page, however many feeds that context serves). A member that cannot take a
 * page (paused, out of demand) leaves and catches up on its own again; so a slow feed never holds the tail back
 * or makes it buffer.
 *
 * <p>Joining is gap-free: the tail takes a member on only at a position it can continue from exactly: its own
 * position, a position among the recent records it keeps (those are handed over first), or a position ahead of
 * it (the member skips what it already has); otherwise it refuses and the reader reads on by itself. The tail
 * is only an optimisation: on any read failure, or at the end of a closed shard, it dissolves, every member
 * falls back to its own reads and their error handling, and the next join starts a new tail.
 *
 * <p>Confined to its context (that of the reader that started it); {@link #join}, {@link #leave} and the append
 * wake-up may be called from any thread.
 */
final class ShardTail {

    private static final int PAGE = 1000;
    /** Recent records kept for members that join a little behind the tail. */
    private static final int RECENT_RECORDS = 1024;
    private static final long RECENT_BYTES = 2L * 1024 * 1024;
    /** A tail without members keeps following this long, so a member that left for a moment can rejoin. */
    static final long IDLE_MILLIS = 5000;
    private static final long FALLBACK_MILLIS = 1000;

    /** One joining of one reader; the reader tells its joinings apart by identity. */
    static final class Member {
        final FeedShardReader reader;
        final Context context;
        /** The position the reader reads next: the tail continues from it. */
        final long next;
        ShardTail tail;

        Member(FeedShardReader reader, Context context, long next) {
            this.reader = reader;
            this.context = context;
            this.next = next;
        }
    }

    /** Records at consecutive positions from {@code first}, handed to members. Immutable. */
    record Page(List<Record> records, long first, long millisBehindLatest) {
        static final Page EMPTY = new Page(List.of(), 0, 0);
    }

    private final ShardTails owner;
    private final Vertx vertx;
    private final StreamsImpl streams;
    private final StreamMeta meta;
    private final int index;
    private final Context context;
    private final Thread loop;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Map<Context, List<Member>> members = new LinkedHashMap<>();
    private final ArrayDeque<Record> recent = new ArrayDeque<>();
    /** The position of the first of {@link #recent}. */
    private long recentFirst;
    private long recentBytes;
    private int memberCount;
    private AppendWatch watch;
    /** The tail's position: it has read every record before this one. */
    private long next;
    private boolean started;
    private boolean reading;
    private boolean wokenWhileReading;
    private boolean inPump;
    private boolean closed;
    private long fallbackTimer = -1;
    private long idleTimer = -1;
    private long millisBehindLatest;

    ShardTail(ShardTails owner, Vertx vertx, StreamsImpl streams, StreamMeta meta, int index, Context context,
              Thread loop) {
        this.owner = owner;
        this.vertx = vertx;
        this.streams = streams;
        this.meta = meta;
        this.index = index;
        this.context = context;
        this.loop = loop;
    }

    StreamMeta meta() {
        return meta;
    }

    int index() {
        return index;
    }

    /** From any thread: the member's reader hears {@link FeedShardReader#joined} on its own context. */
    void join(Member member) {
        member.tail = this;
        onLoop(() -> admit(member));
    }

    /** From any thread: the member gets no more pages (those already on their way are ignored by it). */
    void leave(Member member) {
        onLoop(() -> remove(member));
    }

    private void admit(Member m) {
        if (closed) {
            m.context.runOnContext(v -> m.reader.joined(m, false, Page.EMPTY));
            return;
        }
        Page backlog = Page.EMPTY;
        boolean begin = false;
        boolean readAhead = false;
        if (!started) {
            started = true;
            next = m.next;
            recentFirst = m.next;
            begin = true;
        } else if (m.next > next) {
            // The reader is ahead of the tail (it read records the tail has not yet): it skips those.
            readAhead = true;
        } else if (m.next < next) {
            if (m.next < recentFirst) {
                m.context.runOnContext(v -> m.reader.joined(m, false, Page.EMPTY));
                return;
            }
            backlog = recentFrom(m.next);
        }
        members.computeIfAbsent(m.context, c -> new ArrayList<>()).add(m);
        memberCount++;
        if (idleTimer != -1) {
            vertx.cancelTimer(idleTimer);
            idleTimer = -1;
        }
        Page handOver = backlog;
        // The answer is queued on the member's context before any page the reads below may hand over.
        m.context.runOnContext(v -> m.reader.joined(m, true, handOver));
        if (begin) {
            start();
        } else if (readAhead) {
            pump();
        }
    }

    /** The recent records from {@code position} on ({@code recentFirst <= position <= next}). */
    private Page recentFrom(long position) {
        List<Record> records = new ArrayList<>((int) (next - position));
        long p = recentFirst;
        for (Record r : recent) {
            if (p++ >= position) {
                records.add(r);
            }
        }
        return new Page(records, position, millisBehindLatest);
    }

    private void remove(Member m) {
        List<Member> group = members.get(m.context);
        if (group == null || !group.remove(m)) {
            return;
        }
        if (group.isEmpty()) {
            members.remove(m.context);
        }
        memberCount--;
        if (memberCount == 0 && !closed && idleTimer == -1) {
            idleTimer = vertx.setTimer(IDLE_MILLIS, id -> {
                idleTimer = -1;
                if (memberCount == 0) {
                    close();
                }
            });
        }
    }

    private void start() {
        String shardId = ShardIds.of(index);
        watch = streams.onAppend(meta.name(), appended -> {
            if (appended.equals(shardId)) {
                wake();
            }
        });
        fallbackTimer = vertx.setPeriodic(FALLBACK_MILLIS, id -> pump());
        pump();
    }

    private void wake() {
        if (wakeQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                wakeQueued.set(false);
                pump();
            });
        }
    }

    private void pump() {
        if (closed || !started) {
            return;
        }
        if (reading) {
            wokenWhileReading = true;
            return;
        }
        reading = true;
        wokenWhileReading = false;
        inPump = true;
        try {
            streams.readShard(meta, index, next, PAGE).onComplete(ar -> onLoop(() -> afterRead(ar)));
        } finally {
            inPump = false;
        }
    }

    private void afterRead(AsyncResult<ShardPage> ar) {
        reading = false;
        if (closed) {
            return;
        }
        if (ar.failed()) {
            close();
            return;
        }
        ShardPage page = ar.result();
        millisBehindLatest = page.millisBehindLatest();
        if (!page.records().isEmpty()) {
            long first = page.position(0);
            if (first != next) {
                // Records before the tail's position were trimmed away: members that wanted them read alone.
                close();
                return;
            }
            for (Record r : page.records()) {
                remember(r);
            }
            next = page.nextPosition();
            hand(new Page(page.records(), first, page.millisBehindLatest()));
        }
        if (page.ended()) {
            // A closed shard read to its end: the members finish it by themselves.
            close();
            return;
        }
        if (!page.caughtUp() || wokenWhileReading) {
            if (inPump) {
                context.runOnContext(v -> pump());
            } else {
                pump();
            }
        }
    }

    private void remember(Record r) {
        recent.addLast(r);
        recentBytes += r.data().length;
        while (recent.size() > RECENT_RECORDS || recentBytes > RECENT_BYTES && recent.size() > 1) {
            Record dropped = recent.removeFirst();
            recentFirst++;
            recentBytes -= dropped.data().length;
        }
    }

    /** One task per context with members: each member of that context takes the page in turn. */
    private void hand(Page page) {
        for (Map.Entry<Context, List<Member>> group : members.entrySet()) {
            Member[] contextMembers = group.getValue().toArray(new Member[0]);
            group.getKey().runOnContext(v -> {
                for (Member m : contextMembers) {
                    m.reader.take(m, page);
                }
            });
        }
    }

    /** Stops following the shard; every member falls back to reading on its own. */
    private void close() {
        if (closed) {
            return;
        }
        closed = true;
        owner.remove(this);
        if (watch != null) {
            watch.cancel();
        }
        vertx.cancelTimer(fallbackTimer);
        if (idleTimer != -1) {
            vertx.cancelTimer(idleTimer);
        }
        for (Iterator<Map.Entry<Context, List<Member>>> it = members.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Context, List<Member>> group = it.next();
            Member[] contextMembers = group.getValue().toArray(new Member[0]);
            group.getKey().runOnContext(v -> {
                for (Member m : contextMembers) {
                    m.reader.dropped(m);
                }
            });
            it.remove();
        }
        memberCount = 0;
        recent.clear();
    }

    private void onLoop(Runnable task) {
        if (Thread.currentThread() == loop) {
            task.run();
        } else {
            context.runOnContext(v -> task.run());
        }
    }
}
