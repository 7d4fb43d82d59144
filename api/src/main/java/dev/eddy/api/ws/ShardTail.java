package dev.eddy.api.ws;

import dev.eddy.platform.AppendWatch;
import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.GetRecordsResult;
import dev.eddy.platform.IteratorType;
import dev.eddy.platform.PlatformException;
import dev.eddy.platform.Record;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.Streams;
import io.netty.buffer.ByteBuf;
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
 * The live end of one shard, read once for every subscription that has caught up with it. Readers catch up on
 * their own ({@link ShardReader}); once a read reaches the shard's newest record the reader joins the tail
 * after the last record it sent, and from then on the tail reads each new page once, encodes each record's
 * frame once and hands the page to the members, grouped by event loop (one task per loop and page, however
 * many subscriptions that loop serves). A member that cannot take a page (socket full, out of credit) leaves
 * and catches up on its own again; so a slow subscriber never holds the tail back or makes it buffer.
 *
 * <p>Joining is gap-free: the tail takes a member on only at a position it can continue from exactly — its
 * own position, a position among the recent records it keeps (those are handed over first), or a position
 * ahead of it (the member skips what it already sent); otherwise it refuses and the reader reads on by
 * itself. The tail is only an optimisation: on any read failure it dissolves, every member falls back to its
 * own reads and their error handling (a deleted stream, an unavailable store), and the next join starts a new
 * tail.
 *
 * <p>Confined to its event loop (the context of the reader that started it); {@link #join}, {@link #leave}
 * and the append wake-up may be called from any thread.
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
        final ShardReader reader;
        final Context context;
        /** The last record the reader sent: the tail continues after it. */
        final String after;
        ShardTail tail;

        Member(ShardReader reader, Context context, String after) {
            this.reader = reader;
            this.context = context;
            this.after = after;
        }
    }

    /** A page handed to members: the records with their frames, in shard order. Immutable. */
    record Page(List<Record> records, List<ByteBuf> frames, long millisBehindLatest) {
        static final Page EMPTY = new Page(List.of(), List.of(), 0);
    }

    private record Recent(Record record, ByteBuf frame) {
    }

    private final ShardTails owner;
    private final Vertx vertx;
    private final Streams streams;
    private final EventFrames frames;
    private final Context context;
    private final Thread loop;
    final String stream;
    final String shardId;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Map<Context, List<Member>> members = new LinkedHashMap<>();
    private final ArrayDeque<Recent> recent = new ArrayDeque<>();
    /** The record just before the first of {@link #recent} (the tail's start, until records are dropped). */
    private String recentBase;
    private long recentBytes;
    private int memberCount;
    private AppendWatch watch;
    private String iterator;
    /** The tail's position: it has read every record up to this one. */
    private String lastRead;
    private boolean started;
    private boolean reading;
    private boolean wokenWhileReading;
    private boolean inPump;
    private boolean closed;
    private long fallbackTimer = -1;
    private long idleTimer = -1;
    private long millisBehindLatest;

    ShardTail(ShardTails owner, Vertx vertx, Streams streams, EventFrames frames, Context context, Thread loop,
              String stream, String shardId) {
        this.owner = owner;
        this.vertx = vertx;
        this.streams = streams;
        this.frames = frames;
        this.context = context;
        this.loop = loop;
        this.stream = stream;
        this.shardId = shardId;
    }

    /** From any thread: the member's reader hears {@link ShardReader#joined} on its own loop. */
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
            lastRead = m.after;
            recentBase = m.after;
            begin = true;
        } else if (!lastRead.equals(m.after)) {
            if (m.after.compareTo(lastRead) > 0) {
                // The reader is ahead of the tail (it read records the tail has not yet): it skips those.
                readAhead = true;
            } else {
                backlog = recentAfter(m.after);
                if (backlog == null) {
                    m.context.runOnContext(v -> m.reader.joined(m, false, Page.EMPTY));
                    return;
                }
            }
        }
        members.computeIfAbsent(m.context, c -> new ArrayList<>()).add(m);
        memberCount++;
        if (idleTimer != -1) {
            vertx.cancelTimer(idleTimer);
            idleTimer = -1;
        }
        Page handOver = backlog;
        // The answer is queued on the member's loop before any page the reads below may hand over.
        m.context.runOnContext(v -> m.reader.joined(m, true, handOver));
        if (begin) {
            start();
        } else if (readAhead) {
            pump();
        }
    }

    /** The recent records after {@code sequenceNumber}, or {@code null} when they are not all kept. */
    private Page recentAfter(String sequenceNumber) {
        boolean found = sequenceNumber.equals(recentBase);
        List<Record> records = new ArrayList<>();
        List<ByteBuf> texts = new ArrayList<>();
        for (Recent r : recent) {
            if (found) {
                records.add(r.record());
                texts.add(r.frame());
            } else if (r.record().sequenceNumber().equals(sequenceNumber)) {
                found = true;
            }
        }
        return found ? new Page(records, texts, millisBehindLatest) : null;
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
        watch = streams.onAppend(stream, appended -> {
            if (appended.equals(shardId)) {
                wake();
            }
        });
        fallbackTimer = vertx.setPeriodic(FALLBACK_MILLIS, id -> pump());
        position();
    }

    private void wake() {
        if (wakeQueued.compareAndSet(false, true)) {
            context.runOnContext(v -> {
                wakeQueued.set(false);
                pump();
            });
        }
    }

    private void position() {
        reading = true;
        streams.getShardIterator(new ShardIteratorRequest(stream, shardId, IteratorType.AFTER_SEQUENCE_NUMBER,
                lastRead, null)).onComplete(ar -> onLoop(() -> {
                    reading = false;
                    if (closed) {
                        return;
                    }
                    if (ar.failed()) {
                        close();
                        return;
                    }
                    iterator = ar.result();
                    pump();
                }));
    }

    private void pump() {
        if (closed || !started) {
            return;
        }
        if (reading) {
            wokenWhileReading = true;
            return;
        }
        if (iterator == null) {
            position();
            return;
        }
        reading = true;
        wokenWhileReading = false;
        inPump = true;
        try {
            streams.getRecords(iterator, PAGE).onComplete(ar -> onLoop(() -> afterRead(ar)));
        } finally {
            inPump = false;
        }
    }

    private void afterRead(AsyncResult<GetRecordsResult> ar) {
        reading = false;
        if (closed) {
            return;
        }
        if (ar.failed()) {
            if (ar.cause() instanceof PlatformException p && p.code() == ErrorCode.EXPIRED_ITERATOR) {
                // Idle for longer than an iterator lives: continue after the last record read.
                iterator = null;
                position();
            } else {
                close();
            }
            return;
        }
        GetRecordsResult page = ar.result();
        millisBehindLatest = page.millisBehindLatest();
        if (!page.records().isEmpty()) {
            List<ByteBuf> texts = new ArrayList<>(page.records().size());
            for (Record r : page.records()) {
                ByteBuf frame = frames.frame(stream, shardId, r);
                texts.add(frame);
                remember(r, frame);
            }
            lastRead = page.records().get(page.records().size() - 1).sequenceNumber();
            hand(new Page(page.records(), texts, page.millisBehindLatest()));
        }
        iterator = page.nextShardIterator();
        if (iterator == null) {
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

    private void remember(Record r, ByteBuf frame) {
        recent.addLast(new Recent(r, frame));
        recentBytes += r.data().length + (long) frame.readableBytes();
        while (recent.size() > RECENT_RECORDS || recentBytes > RECENT_BYTES && recent.size() > 1) {
            Recent dropped = recent.removeFirst();
            recentBase = dropped.record().sequenceNumber();
            recentBytes -= dropped.record().data().length + (long) dropped.frame().readableBytes();
        }
    }

    /** One task per event loop with members: each member of that loop takes the page in turn. */
    private void hand(Page page) {
        for (Map.Entry<Context, List<Member>> group : members.entrySet()) {
            Member[] loopMembers = group.getValue().toArray(new Member[0]);
            group.getKey().runOnContext(v -> {
                for (Member m : loopMembers) {
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
            Member[] loopMembers = group.getValue().toArray(new Member[0]);
            group.getKey().runOnContext(v -> {
                for (Member m : loopMembers) {
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
