package dev.eddy.platform;

/**
 * The platform's failure kinds. They follow Kinesis's exception names so the wire layer can map each to
 * its {@code __type} and HTTP status in one place.
 */
public enum ErrorCode {
    /** Bad argument value or combination (Kinesis InvalidArgumentException, 400). */
    INVALID_ARGUMENT,
    /** The stream, shard or consumer does not exist (ResourceNotFoundException, 400). */
    RESOURCE_NOT_FOUND,
    /** The resource is not in a state that allows the call, or already exists (ResourceInUseException, 400). */
    RESOURCE_IN_USE,
    /** A limit of the account or stream was reached (LimitExceededException, 400). */
    LIMIT_EXCEEDED,
    /** The shard iterator is older than five minutes (ExpiredIteratorException, 400). */
    EXPIRED_ITERATOR,
    /** A per-shard rate was exceeded (ProvisionedThroughputExceededException, 400). */
    PROVISIONED_THROUGHPUT_EXCEEDED,
    /** Storage is temporarily unavailable; retry (ServiceUnavailable / InternalFailure, 503/500). */
    SERVICE_UNAVAILABLE,
    /** An unexpected server failure (InternalFailure, 500). */
    INTERNAL_FAILURE
}
