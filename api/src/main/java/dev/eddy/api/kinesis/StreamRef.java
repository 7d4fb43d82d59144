package dev.eddy.api.kinesis;

import dev.eddy.platform.Streams;

/**
 * Resolves the stream a request names by StreamName, StreamARN or both, as Kinesis accepts them.
 * Stateless.
 */
final class StreamRef {

    private StreamRef() {
    }

    /** Adds the StreamName/StreamARN/StreamId constraint checks to the validator. */
    static void validateOnly(Params p, Validator v) {
        v.streamName("streamName", p.string("StreamName"))
                .streamArn("streamARN", p.string("StreamARN"))
                .streamId("streamId", p.string("StreamId"));
    }

    /**
     * Validates (throwing every violation collected so far) and returns the stream name. A name and an
     * ARN that disagree, or neither, is an {@code InvalidArgumentException}.
     */
    static String resolve(Params p, Streams streams, Validator v) {
        String name = p.string("StreamName");
        String arn = p.string("StreamARN");
        return resolve(name, arn, p.string("StreamId"), streams, v);
    }

    /** As {@link #resolve(Params, Streams, Validator)}, for members already read. */
    static String resolve(String name, String arn, String id, Streams streams, Validator v) {
        v.streamName("streamName", name)
                .streamArn("streamARN", arn)
                .streamId("streamId", id);
        v.check();
        if (arn != null) {
            String fromArn = streams.streamNameFromArn(arn);
            if (name != null && !name.equals(fromArn)) {
                throw KinesisException.invalidArgument("StreamARN " + arn + " and StreamName " + name
                        + " name different streams.");
            }
            return fromArn;
        }
        if (name == null) {
            throw KinesisException.invalidArgument("Either StreamName or StreamARN must be provided.");
        }
        return name;
    }
}
