package dev.eddy.api.ws;

import dev.eddy.platform.Record;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The {@code event} frames of recently delivered records, as the bytes sent on the wire ({@link WireFrames}),
 * shared by every subscription: when many subscribers follow one stream, each record is encoded once, not once
 * per subscriber. A direct-mapped, lock-free cache of a fixed number of slots (a collision only costs an
 * encoding), holding only small frames, so it never keeps more than {@code SLOTS * MAX_CACHED_BYTES} bytes
 * (8 MiB) alive. Thread-safe.
 */
final class EventFrames {

    private static final int SLOTS = 2048;
    private static final int MAX_CACHED_BYTES = 4096;

    private record Entry(String stream, String sequenceNumber, ByteBuf frame) {
    }

    private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);

    /** The record's frame, encoded now or taken from a subscription that sent it recently. */
    ByteBuf frame(String stream, String shardId, Record r) {
        int slot = (r.sequenceNumber().hashCode() * 31 + stream.hashCode()) & (SLOTS - 1);
        Entry e = slots.get(slot);
        if (e != null && e.sequenceNumber().equals(r.sequenceNumber()) && e.stream().equals(stream)) {
            return e.frame();
        }
        ByteBuf frame = WireFrames.text(Frames.event(stream, shardId, r));
        if (frame.readableBytes() <= MAX_CACHED_BYTES) {
            slots.set(slot, new Entry(stream, r.sequenceNumber(), frame));
        }
        return frame;
    }
}
