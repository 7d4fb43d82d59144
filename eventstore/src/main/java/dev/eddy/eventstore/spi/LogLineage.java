package dev.eddy.eventstore.spi;

import java.util.List;

/**
 * Lets a log continue the logs it was split or merged from, so that a key's versions and event ids carry on
 * across a reshard instead of starting again in the new log. Thread-safe.
 */
public interface LogLineage {

    /**
     * Declares that {@code log} continues {@code ancestors}: every log its records' keys came from before it, at
     * any depth, none of which takes appends any more. From then on an append to {@code log} continues a key that
     * has no record in {@code log} from the highest version it has in any ancestor (expectations are checked
     * against that version too), and an event id stored in an ancestor counts as stored: a retry of the append
     * that stored it gets that append's result, naming the ancestor in {@link AppendResult#log()}.
     *
     * <p>Not durable: the caller declares it again after every open, before it appends to {@code log}. An empty
     * list withdraws the declaration. Reads are not affected (a key's history in {@code log} holds only what was
     * appended to {@code log}).
     */
    void declareLineage(String log, List<String> ancestors);
}
