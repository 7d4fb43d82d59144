package dev.eddy.platform.impl;

import dev.eddy.platform.PlatformException;
import io.vertx.core.Future;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Blocking on the platform's futures in tests. Stateless. */
final class PlatformFutures {

    private PlatformFutures() {
    }

    /** The future's result within 30 s; a failure is thrown as its cause when that is an {@link Exception}. */
    static <T> T await(Future<T> future) throws Exception {
        try {
            return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Asserts that the future fails with a {@link PlatformException} and returns it. */
    static PlatformException failure(Future<?> future) {
        Exception e = assertThrows(Exception.class, () -> await(future));
        return assertInstanceOf(PlatformException.class, e);
    }
}
