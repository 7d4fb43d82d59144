package dev.eddy.api;

import dev.eddy.platform.ErrorCode;
import dev.eddy.platform.PlatformException;
import io.vertx.core.Vertx;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The command line: {@code java -jar eddy.jar [options]} runs the server until SIGTERM;
 * {@code java -jar eddy.jar bench ...} runs the load generator's own jar ({@link BenchLauncher}); {@code --help}
 * lists the settings.
 * Exit codes: 0 after a clean stop, 1 when the server cannot start, 2 on bad settings.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("bench")) {
            System.exit(BenchLauncher.run(Arrays.copyOfRange(args, 1, args.length), System.err));
        }
        if (EddyConfig.wantsHelp(args)) {
            System.out.print(EddyConfig.help());
            return;
        }
        EddyConfig config;
        try {
            config = EddyConfig.parse(args, System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("eddy: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (ServerProcess.shouldFork(config)) {
            try {
                System.exit(ServerProcess.runChild(config, args));
            } catch (Exception e) {
                System.err.println("eddy: cannot start the server process: " + e);
                System.exit(1);
            }
            return;
        }
        ServerProcess.watchLauncher();
        Telemetry telemetry = Telemetry.of(config);
        Vertx vertx = telemetry.newVertx();
        EddyServer server;
        try {
            server = EddyServer.start(vertx, config, telemetry).await(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            reportStartFailure(e);
            closeQuietly(vertx);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // Awaited from this plain thread, so no completion is dispatched to a closing event loop.
            try {
                server.close().await(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                System.err.println("eddy: unclean shutdown: " + e.getMessage());
            }
            closeQuietly(vertx);
        }, "eddy-shutdown"));
        System.out.println(banner(config, server.actualPort(), server.actualTlsPort(), server.tls().orElse(null)));
    }

    /** The start banner: where the server listens and, with TLS, the certificate a client is to trust. */
    static String banner(EddyConfig config, int port, int tlsPort, TlsMaterial tls) {
        String storage = switch (config.storage()) {
            case "memory" -> "storage: memory";
            case "postgres" -> "storage: postgres, url: " + config.pgUrlForDisplay();
            default -> "storage: " + config.storage() + ", data: " + config.dataDir();
        };
        String banner = "Eddy " + EddyConfig.VERSION + " listening on http://" + config.host() + ":" + port
                + " (" + storage + ")";
        if (tls == null) {
            return banner;
        }
        return banner + System.lineSeparator()
                + "Eddy " + EddyConfig.VERSION + " listening on https://" + config.host() + ":" + tlsPort
                + " (TLS; HTTP/2 and HTTP/1.1)" + System.lineSeparator()
                + "TLS certificate: " + tls.certPath() + " (" + tls.origin().description() + ")" + System.lineSeparator()
                + "TLS certificate SHA-256 fingerprint: " + tls.fingerprint();
    }

    /**
     * Prints why the server could not start: a one-line summary naming the root cause's class and message
     * (a bare {@code getMessage()} may be {@code null}), then the full stack trace with its causes.
     */
    static void reportStartFailure(Throwable e) {
        System.err.println("eddy: cannot start: " + describe(e));
        // An unavailable store (database down, directory locked) is an operational condition the message
        // explains; anything else is a defect, and its stack trace is what a bug report needs.
        // The same holds for a TLS certificate or key file that cannot be used: the message names the file.
        if (!(e instanceof PlatformException p && p.code() == ErrorCode.SERVICE_UNAVAILABLE)
                && !(e instanceof TlsMaterial.UnusableException)) {
            e.printStackTrace(System.err);
        }
        System.err.flush();
    }

    /** The throwable (and its root cause, when different) as {@code Class: message}. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String summary = e.toString();
        return root == e ? summary : summary + " (caused by " + root + ")";
    }

    private static void closeQuietly(Vertx vertx) {
        try {
            vertx.close().await(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // exiting anyway
        }
    }
}
