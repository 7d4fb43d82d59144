package dev.eddy.api;

import dev.eddy.api.kinesis.KinesisApi;
import dev.eddy.api.kinesis.KinesisHttpHandler;
import dev.eddy.api.rest.RestHandler;
import dev.eddy.api.ws.SubscribeHandler;
import dev.eddy.platform.Platform;
import dev.eddy.platform.Storage;
import dev.eddy.platform.StorageSettings;
import dev.eddy.platform.StreamMetrics;
import dev.eddy.platform.Streams;
import dev.eddy.projections.Projections;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running Eddy server: the store, the platform over it and the HTTP front door (cleartext, and TLS when
 * configured). Thread-safe.
 *
 * <p>{@link #start} finds (or generates) the TLS certificate, opens the store, starts the platform and the
 * stored projections, then listens; {@link #close} stops listening, then the projections, then closes the store.
 */
public final class EddyServer {

    private final Vertx vertx;
    private final EddyConfig config;
    private final Storage store;
    private final Streams streams;
    private final Projections projections;
    private final Telemetry telemetry;
    private final StreamMetrics metrics;
    private final TlsMaterial tls;
    private final AtomicInteger port = new AtomicInteger(-1);
    private final AtomicInteger tlsPort = new AtomicInteger(-1);
    private volatile boolean ready;
    private volatile String deployment;
    private Future<Void> closing;

    private EddyServer(Vertx vertx, EddyConfig config, TlsMaterial tls, Storage store, Streams streams,
                       Projections projections, Telemetry telemetry, StreamMetrics metrics) {
        this.projections = projections;
        this.vertx = vertx;
        this.tls = tls;
        this.config = config;
        this.store = store;
        this.streams = streams;
        this.telemetry = telemetry;
        this.metrics = metrics;
    }

    /**
     * Opens the store, starts the platform and the HTTP server, with its own metrics registry (Vert.x's own
     * meters are included only when {@code vertx} was built by {@link Telemetry#newVertx}: use the other
     * overload). On failure, what was opened is closed; a TLS certificate that cannot be used fails it with a
     * {@link TlsMaterial.UnusableException}.
     */
    public static Future<EddyServer> start(Vertx vertx, EddyConfig config) {
        return start(vertx, config, Telemetry.of(config));
    }

    /** As {@link #start(Vertx, EddyConfig)}, with a registry the caller made (and Vert.x reports into). */
    public static Future<EddyServer> start(Vertx vertx, EddyConfig config, Telemetry telemetry) {
        return tlsMaterial(vertx, config).compose(tls -> Platform.openStorage(vertx, storage(config)).compose(store -> {
            StreamMetrics metrics = telemetry.streamMetrics(config, store.backend());
            return Platform.start(vertx, store, config.platformOptions(), metrics)
                    .compose(streams -> Projections.start(vertx, streams)
                            .map(projections -> new EddyServer(vertx, config, tls, store, streams, projections,
                                    telemetry, metrics)))
                    .compose(server -> server.listen().map(server)
                            .recover(failure -> server.projections.close()
                                    .transform(ignored -> Future.failedFuture(failure))))
                    .recover(failure -> store.close().transform(ignored -> Future.failedFuture(failure)));
        }));
    }

    /** The TLS port's certificate and key ({@code null} when TLS is off), read or generated on a worker thread. */
    private static Future<TlsMaterial> tlsMaterial(Vertx vertx, EddyConfig config) {
        if (!config.tls().enabled()) {
            return Future.succeededFuture();
        }
        return vertx.executeBlocking(() -> TlsMaterial.resolveBlocking(config.tls(), config.dataDir(), config.host(),
                config.clock()), false);
    }

    private static StorageSettings storage(EddyConfig config) {
        return switch (config.storage()) {
            case "memory" -> StorageSettings.memory();
            case "postgres" -> StorageSettings.postgres(config.pgUrl(), config.pgPoolSize());
            default -> StorageSettings.mapdb(config.dataDir());
        };
    }

    private Future<Void> listen() {
        KinesisHttpHandler handler = new KinesisHttpHandler(new KinesisApi(streams, config.clock(), metrics),
                config.maxRequestBytes(), metrics);
        RestHandler rest = new RestHandler(streams, projections, config.maxRequestBytes(), metrics);
        SubscribeHandler subscribe = new SubscribeHandler(vertx, streams, config.clock(), metrics);
        // Port 0 would give each instance its own random port; a negative port shares one random port among
        // the servers listening on that same negative number, so the TLS port takes another one.
        List<HttpVerticle.Listener> listeners = new ArrayList<>();
        listeners.add(new HttpVerticle.Listener(config.port() == 0 ? -1 : config.port(), null, port::set));
        if (tls != null) {
            int tlsListenPort = config.tls().port() == 0 ? -2 : config.tls().port();
            listeners.add(new HttpVerticle.Listener(tlsListenPort, tls, tlsPort::set));
        }
        return vertx.deployVerticle(() -> new HttpVerticle(config.host(), listeners, handler, rest, subscribe,
                        telemetry, this::isReady),
                        new DeploymentOptions().setInstances(config.effectiveHttpInstances()))
                .onSuccess(id -> {
                    deployment = id;
                    ready = true;
                })
                .mapEmpty();
    }

    /** The port the server listens on (the bound one when configured with port 0). */
    public int actualPort() {
        return port.get();
    }

    /** The TLS port (the bound one when configured with port 0), or -1 when TLS is off. */
    public int actualTlsPort() {
        return tlsPort.get();
    }

    /** The TLS port's certificate and key, when TLS is on. */
    public Optional<TlsMaterial> tls() {
        return Optional.ofNullable(tls);
    }

    /** The settings the server runs with. */
    public EddyConfig config() {
        return config;
    }

    /** The platform service (for in-process use and tests). */
    public Streams streams() {
        return streams;
    }

    /** The server's metrics registry. */
    public Telemetry telemetry() {
        return telemetry;
    }

    /** The store's backend name, e.g. {@code mapdb}. */
    public String backend() {
        return store.backend();
    }

    /** Whether the store and platform are up and the server is not closing. */
    public boolean isReady() {
        return ready;
    }

    /** The projections service (for in-process use and tests). */
    public Projections projections() {
        return projections;
    }

    /** Stops the HTTP servers, then the projections (each saving its snapshot), then closes the store. Idempotent. */
    public synchronized Future<Void> close() {
        if (closing == null) {
            ready = false;
            closing = undeploy().transform(ignored -> projections.close())
                    .transform(ignored -> store.close()).onComplete(ignored -> telemetry.close());
        }
        return closing;
    }

    private Future<Void> undeploy() {
        return deployment == null ? Future.succeededFuture() : vertx.undeploy(deployment);
    }
}
