package dev.eddy.api.kinesis;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The opaque NextToken of ListStreams and ListShards: which stream (for ListShards), where the last page
 * ended, the shard filter in force, and when the token was issued (tokens expire like Kinesis's).
 * Immutable.
 *
 * @param kind            {@code streams} or {@code shards}
 * @param stream          the stream (ListShards), else empty
 * @param after           the last name or shard id returned
 * @param filter          the ShardFilter type in force, or empty
 * @param filterShardId   the filter's ShardId, or empty
 * @param filterTimestamp the filter's timestamp millis, or -1
 * @param issuedMillis    when the token was issued, epoch millis
 */
public record PageToken(String kind, String stream, String after, String filter, String filterShardId,
                        long filterTimestamp, long issuedMillis) {

    /** How long a token stays valid (Kinesis: 300 seconds). */
    public static final long TTL_MILLIS = 300_000;

    private static final String VERSION = "1";
    private static final char SEP = '\n';

    public String encode() {
        String plain = String.join(String.valueOf(SEP), VERSION, kind, stream, after, filter, filterShardId,
                Long.toString(filterTimestamp), Long.toString(issuedMillis));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
    }

    /** Decodes a token of the given kind; a foreign, corrupt or expired token is an error. */
    public static PageToken decode(String token, String kind, long nowMillis) {
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(String.valueOf(SEP), -1);
        } catch (IllegalArgumentException e) {
            throw invalid(token);
        }
        if (parts.length != 8 || !VERSION.equals(parts[0]) || !kind.equals(parts[1])) {
            throw invalid(token);
        }
        PageToken decoded;
        try {
            decoded = new PageToken(parts[1], parts[2], parts[3], parts[4], parts[5], Long.parseLong(parts[6]),
                    Long.parseLong(parts[7]));
        } catch (NumberFormatException e) {
            throw invalid(token);
        }
        if (nowMillis - decoded.issuedMillis > TTL_MILLIS) {
            throw new KinesisException("ExpiredNextTokenException", 400,
                    "The NextToken has expired: it is valid for 300 seconds after it is issued.");
        }
        return decoded;
    }

    private static KinesisException invalid(String token) {
        return KinesisException.invalidArgument("Invalid NextToken '" + Params.abbreviate(token) + "'.");
    }
}
