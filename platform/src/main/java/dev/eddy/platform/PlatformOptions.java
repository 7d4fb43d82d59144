package dev.eddy.platform;

import java.time.Clock;
import java.time.Duration;

/**
 * Settings of the platform. Immutable.
 *
 * @param region              the AWS region named in ARNs
 * @param accountId           the 12-digit account id named in ARNs
 * @param clock               the clock for arrival timestamps and iterator expiry (tests inject one)
 * @param createStreamDelay   how long a new stream stays CREATING
 * @param deleteStreamDelay   how long a deleted stream stays DELETING before it is gone
 * @param iteratorTtl         how long a shard iterator stays valid (Kinesis: five minutes)
 * @param maxShardsPerStream  the shard limit of one stream (LimitExceededException beyond)
 */
public record PlatformOptions(String region, String accountId, Clock clock, Duration createStreamDelay,
                              Duration deleteStreamDelay, Duration iteratorTtl, int maxShardsPerStream) {

    public static PlatformOptions defaults() {
        return new PlatformOptions("us-east-1", "000000000000", Clock.systemUTC(), Duration.ZERO,
                Duration.ZERO, Duration.ofMinutes(5), 1024);
    }

    public PlatformOptions withClock(Clock clock) {
        return new PlatformOptions(region, accountId, clock, createStreamDelay, deleteStreamDelay, iteratorTtl,
                maxShardsPerStream);
    }

    public PlatformOptions withDelays(Duration createStreamDelay, Duration deleteStreamDelay) {
        return new PlatformOptions(region, accountId, clock, createStreamDelay, deleteStreamDelay, iteratorTtl,
                maxShardsPerStream);
    }
}
