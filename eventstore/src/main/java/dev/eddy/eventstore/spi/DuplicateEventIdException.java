package dev.eddy.eventstore.spi;

/**
 * Some, but not all, records of an append carry event ids that are already stored, so the append is
 * neither new nor a faithful retry; nothing was appended.
 */
public final class DuplicateEventIdException extends EventStoreException {

    private final String log;
    private final String eventId;

    public DuplicateEventIdException(String log, String eventId) {
        super("Event id '" + eventId + "' is already stored in log '" + log
                + "' but other events of the same append are new; an idempotent retry must resend the same events");
        this.log = log;
        this.eventId = eventId;
    }

    public String log() {
        return log;
    }

    public String eventId() {
        return eventId;
    }
}
