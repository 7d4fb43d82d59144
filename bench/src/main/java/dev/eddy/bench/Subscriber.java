package dev.eddy.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.ClientWebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.http.WebSocketFrame;
import org.HdrHistogram.Histogram;

import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One WebSocket subscriber of subscribe mode: takes each {@code event} frame apart with a few byte scans (no
 * JSON tree), checks it (exactly once, sequence numbers increasing per shard, key matching the record id) and
 * records its put-to-receive latency. Confined to its socket's event loop; the counters read by the progress
 * line are atomic, the rest is read after {@link #close} completes.
 */
final class Subscriber {

    private static final byte[] EVENT = bytes("{\"frame\":\"event\"");
    private static final byte[] SHARDS = bytes("{\"frame\":\"shards\"");
    private static final byte[] ERROR = bytes("{\"frame\":\"error\"");
    private static final byte[] SHARD_ID = bytes("\"shardId\":\"shardId-");
    private static final byte[] SEQUENCE = bytes("\"sequenceNumber\":\"");
    private static final byte[] KEY = bytes("\"partitionKey\":\"bench-key-");
    private static final byte[] DATA_ID = bytes("\"data\":{\"id\":");
    private static final String KEY_PREFIX = "bench-key-";
    private static final byte[] DATA_PREFIX = bytes("{\"id\":");
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    final int index;
    private final Schedule schedule;
    private final int keys;
    private final BitSet received;
    private final byte[][] lastSequence;
    private final int[] lastSequenceLength;
    /** Latency from each record's scheduled send time, microseconds, after the warm-up. */
    final Histogram fromScheduled = new Histogram(MAX_MICROS, 3);
    /** Latency from the moment the producer handed the record to the SDK, microseconds, after the warm-up. */
    final Histogram fromSent = new Histogram(MAX_MICROS, 3);
    final AtomicLong distinct = new AtomicLong();
    long events;
    long duplicated;
    long reordered;
    long corrupted;
    long errorFrames;
    String firstProblem;
    volatile String closedEarly;
    private final Promise<Void> ready = Promise.promise();
    private WebSocket ws;
    private Buffer partial;
    private boolean closing;
    private volatile Thread thread;

    Subscriber(int index, Schedule schedule, int shards, int keys) {
        this.index = index;
        this.schedule = schedule;
        this.keys = keys;
        this.received = new BitSet((int) schedule.total());
        this.lastSequence = new byte[shards][];
        this.lastSequenceLength = new int[shards];
    }

    /** Connects; the future completes once the server sent its {@code shards} frame (nothing is missed after). */
    Future<Void> connect(WebSocketClient client, String host, int port, String uri) {
        // Handlers go on before connecting, so not even the first frame (the server sends "shards" at once) can
        // arrive before them.
        ClientWebSocket socket = client.webSocket();
        socket.frameHandler(this::onFrame);
        socket.closeHandler(v -> {
            if (!closing) {
                closedEarly = "closed by the server: " + socket.closeStatusCode() + " " + socket.closeReason();
                ready.tryFail(closedEarly);
            }
        });
        ws = socket;
        socket.connect(new WebSocketConnectOptions().setHost(host).setPort(port).setURI(uri))
                .onSuccess(connected -> thread = Thread.currentThread())
                .onFailure(ready::tryFail);
        return ready.future();
    }

    Future<Void> close() {
        closing = true;
        return ws == null ? Future.succeededFuture() : ws.close();
    }

    /** The event-loop thread of the socket, once connected. */
    Thread thread() {
        return thread;
    }

    boolean received(long id) {
        return received.get((int) id);
    }

    private void onFrame(WebSocketFrame frame) {
        long now = System.nanoTime();
        if (frame.isText() || frame.isContinuation() && partial != null) {
            if (!frame.isFinal()) {
                partial = partial == null ? frame.binaryData().copy() : partial.appendBuffer(frame.binaryData());
                return;
            }
            byte[] message;
            if (partial != null) {
                message = partial.appendBuffer(frame.binaryData()).getBytes();
                partial = null;
            } else {
                message = frame.binaryData().getBytes();
            }
            onMessage(message, now);
        }
    }

    /** Takes one complete text message apart; package-private for the scanner's unit test. */
    void onMessage(byte[] m, long now) {
        if (startsWith(m, EVENT)) {
            onEvent(m, now);
        } else if (startsWith(m, SHARDS)) {
            ready.tryComplete();
        } else if (startsWith(m, ERROR)) {
            errorFrames++;
            problem(new String(m, StandardCharsets.UTF_8));
        }
        // heartbeats carry nothing the bench checks
    }

    private void onEvent(byte[] m, long now) {
        events++;
        int shardAt = indexOf(m, SHARD_ID, EVENT.length);
        int seqAt = shardAt < 0 ? -1 : indexOf(m, SEQUENCE, shardAt);
        int keyAt = seqAt < 0 ? -1 : indexOf(m, KEY, seqAt);
        int idAt = keyAt < 0 ? -1 : indexOf(m, DATA_ID, keyAt);
        long shard = shardAt < 0 ? -1 : digits(m, shardAt + SHARD_ID.length);
        long key = keyAt < 0 ? -1 : digits(m, keyAt + KEY.length);
        long id = idAt < 0 ? -1 : digits(m, idAt + DATA_ID.length);
        if (shard < 0 || shard >= lastSequence.length || id < 0 || id >= schedule.total() || key != id % keys) {
            corrupted++;
            problem("unexpected event frame: " + new String(m, StandardCharsets.UTF_8));
            return;
        }
        int seqStart = seqAt + SEQUENCE.length;
        int seqEnd = seqStart;
        while (seqEnd < m.length && m[seqEnd] != '"') {
            seqEnd++;
        }
        check((int) shard, m, seqStart, seqEnd, id, now);
    }

    /**
     * A record an enhanced fan-out subscription received (called from the SDK's threads; the checks are serialised
     * here): the same checks and latencies as a WebSocket event.
     */
    synchronized void onFanOutRecord(int shard, String sequenceNumber, String partitionKey, byte[] data, long now) {
        events++;
        long key = partitionKey.startsWith(KEY_PREFIX) ? digits(partitionKey.getBytes(StandardCharsets.US_ASCII),
                KEY_PREFIX.length()) : -1;
        long id = startsWith(data, DATA_PREFIX) ? digits(data, DATA_PREFIX.length) : -1;
        if (shard < 0 || shard >= lastSequence.length || id < 0 || id >= schedule.total() || key != id % keys) {
            corrupted++;
            problem("unexpected record on shard " + shard + ": key " + partitionKey + ", data "
                    + new String(data, StandardCharsets.UTF_8));
            return;
        }
        byte[] seq = sequenceNumber.getBytes(StandardCharsets.US_ASCII);
        check(shard, seq, 0, seq.length, id, now);
    }

    /** An error a fan-out subscription ended with, other than the ends a consumer resubscribes after. */
    synchronized void fanOutError(String text) {
        errorFrames++;
        problem(text);
    }

    private void check(int shard, byte[] m, int seqStart, int seqEnd, long id, long now) {
        if (!increases(shard, m, seqStart, seqEnd)) {
            reordered++;
            problem("sequence number not increasing on shard " + shard + " at record " + id);
        }
        if (received.get((int) id)) {
            duplicated++;
            problem("record " + id + " received twice");
            return;
        }
        received.set((int) id);
        distinct.lazySet(distinct.get() + 1);
        if (schedule.measured(id)) {
            fromScheduled.recordValue(Math.max(0, Math.min(MAX_MICROS, (now - schedule.dueNanos(id)) / 1000)));
            long sent = schedule.sentNanos(id);
            if (sent != 0) {
                fromSent.recordValue(Math.max(0, Math.min(MAX_MICROS, (now - sent) / 1000)));
            }
        }
    }

    /** Compares decimal sequence numbers without BigInteger: longer is larger, then lexicographic. */
    private boolean increases(int shard, byte[] m, int from, int to) {
        int length = to - from;
        byte[] last = lastSequence[shard];
        boolean increasing;
        if (last == null) {
            increasing = true;
        } else if (length != lastSequenceLength[shard]) {
            increasing = length > lastSequenceLength[shard];
        } else {
            int cmp = 0;
            for (int i = 0; i < length && cmp == 0; i++) {
                cmp = Byte.compare(m[from + i], last[i]);
            }
            increasing = cmp > 0;
        }
        if (increasing) {
            if (last == null || last.length < length) {
                last = new byte[Math.max(64, length)];
                lastSequence[shard] = last;
            }
            System.arraycopy(m, from, last, 0, length);
            lastSequenceLength[shard] = length;
        }
        return increasing;
    }

    private void problem(String text) {
        if (firstProblem == null) {
            firstProblem = text.length() > 300 ? text.substring(0, 300) + "..." : text;
        }
    }

    private static long digits(byte[] m, int at) {
        long value = 0;
        int i = at;
        while (i < m.length && m[i] >= '0' && m[i] <= '9' && i - at < 18) {
            value = value * 10 + (m[i] - '0');
            i++;
        }
        return i == at ? -1 : value;
    }

    private static boolean startsWith(byte[] m, byte[] prefix) {
        if (m.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (m[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] m, byte[] pattern, int from) {
        byte first = pattern[0];
        int last = m.length - pattern.length;
        outer:
        for (int i = from; i <= last; i++) {
            if (m[i] != first) {
                continue;
            }
            for (int j = 1; j < pattern.length; j++) {
                if (m[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
