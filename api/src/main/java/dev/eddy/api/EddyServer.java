package dev.eddy.api;

import dev.eddy.api.kinesis.KinesisApi;
import dev.eddy.api.kinesis.KinesisHttpHandler;
import dev.eddy.eventstore.EventStore;
import dev.eddy.eventstore.EventStores;
import dev.eddy.platform.Platform;
import dev.eddy.platform.Streams;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running Eddy server: the store, the platform over it and the HTTP front door. Thread-safe.
 *
 * <p>{@link #start} opens the store, starts the platform, then listens; {@link #close} stops listening,
 * then closes the store.
 */
public final class EddyServer {

    private final Vertx vertx;
    private final EddyConfig config;
    private final EventStore store;
    private final Streams streams;
    private final AtomicInteger port = new AtomicInteger(-1);
    private volatile boolean ready;
    private volatile String firstDeployment;
    private volatile String otherDeployments;
    private Future<Void> closing;

    private EddyServer(Vertx vertx, EddyConfig config, EventStore store, Streams streams) {
        this.vertx = vertx;
        this.config = config;
        this.store = store;
        this.streams = streams;
    }

    /** Opens the store, starts the platform and the HTTP server. On failure, what was opened is closed. */
    public static Future<EddyServer> start(Vertx vertx, EddyConfig config) {
        return openStore(vertx, config).compose(store -> Platform.start(vertx, store, config.platformOptions())
                .map(streams -> new EddyServer(vertx, config, store, streams))
                .compose(server -> server.listen().map(server))
                .recover(failure -> store.close().transform(ignored -> Future.failedFuture(failure))));
    }

    private static Future<EventStore> openStore(Vertx vertx, EddyConfig config) {
        return switch (config.storage()) {
            case "memory" -> Future.succeededFuture(EventStores.memory(vertx));
            default -> EventStores.mapdb(vertx, config.dataDir());
        };
    }

    private Future<Void> listen() {
        KinesisHttpHandler handler = new KinesisHttpHandler(new KinesisApi(streams, config.clock()),
                config.maxRequestBytes());
        // The first instance binds (resolving port 0); the others then share the bound port.
        return vertx.deployVerticle(new HttpVerticle(config.host(), config.port(), handler, this::isReady, port::set))
                .compose(id -> {
                    firstDeployment = id;
                    int more = config.effectiveHttpInstances() - 1;
                    if (more <= 0) {
                        return Future.succeededFuture();
                    }
                    int bound = port.get();
                    return vertx.deployVerticle(() -> new HttpVerticle(config.host(), bound, handler, this::isReady,
                                    p -> { }), new DeploymentOptions().setInstances(more))
                            .onSuccess(otherId -> otherDeployments = otherId)
                            .mapEmpty();
                })
                .onSuccess(v -> ready = true)
                .recover(failure -> undeploy().transform(ignored -> Future.failedFuture(failure)));
    }

    /** The port the server listens on (the bound one when configured with port 0). */
    public int actualPort() {
        return port.get();
    }

    /** The settings the server runs with. */
    public EddyConfig config() {
        return config;
    }

    /** The platform service (for in-process use and tests). */
    public Streams streams() {
        return streams;
    }

    /** The store's backend name, e.g. {@code mapdb}. */
    public String backend() {
        return store.backend();
    }

    /** Whether the store and platform are up and the server is not closing. */
    public boolean isReady() {
        return ready;
    }

    /** Stops the HTTP servers, then closes the store. Idempotent. */
    public synchronized Future<Void> close() {
        if (closing == null) {
            ready = false;
            closing = undeploy().transform(ignored -> store.close());
        }
        return closing;
    }

    private Future<Void> undeploy() {
        Future<Void> others = otherDeployments == null ? Future.succeededFuture() : vertx.undeploy(otherDeployments);
        return others.transform(ignored -> firstDeployment == null ? Future.<Void>succeededFuture()
                : vertx.undeploy(firstDeployment));
    }
}
