package dev.eddy.platform;

import io.vertx.core.Future;

/** The open store under a platform (see {@link Platform#openStorage}). Thread-safe. */
public interface Storage {

    /** The backend's name, e.g. {@code mapdb}. */
    String backend();

    /** Closes the store (after the platform using it stopped). Idempotent. */
    Future<Void> close();
}
