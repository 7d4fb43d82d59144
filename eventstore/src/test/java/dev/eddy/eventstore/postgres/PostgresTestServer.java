package dev.eddy.eventstore.postgres;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server for tests, one per JVM, started on first use and stopped at JVM exit. Thread-safe.
 *
 * <p>Where it comes from, in order: the URL in {@code EDDY_TEST_PG_URL}; a Testcontainers {@code postgres:16}
 * container when a Docker engine answers; the PostgreSQL binaries under {@code /usr/lib/postgresql/<v>/bin}
 * (15 preferred), initialised in a temporary directory and run as the {@code postgres} OS user when the JVM runs
 * as root. When none is possible it fails loudly: PostgreSQL tests are never skipped silently.
 */
public final class PostgresTestServer {

    /** Environment variable naming an external server, {@code postgresql://user:password@host:port/database}. */
    public static final String URL_ENV = "EDDY_TEST_PG_URL";

    private static final String SUPERUSER = "eddy";
    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static String url;
    private static String source;

    private PostgresTestServer() {
    }

    /** The admin URL of the shared server, starting it on first call. */
    public static synchronized String url() {
        if (url == null) {
            url = start();
        }
        return url;
    }

    /** Which of the three ways the server came from: {@code env}, {@code testcontainers} or {@code binaries}. */
    public static synchronized String source() {
        url();
        return source;
    }

    /** Creates a new, empty database on the shared server and gives its URL. */
    public static String createDatabase() {
        String name = "eddy_test_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        admin("CREATE DATABASE " + name);
        return withDatabase(url(), name);
    }

    /** Drops a database made by {@link #createDatabase()}, closing its remaining connections. */
    public static void dropDatabase(String databaseUrl) {
        String name = PgConnectOptions.fromUri(databaseUrl).getDatabase();
        admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }

    /** Runs one statement on the server's maintenance database and waits for it. */
    public static void admin(String sql) {
        Vertx vertx = Vertx.vertx();
        try {
            Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
                    .connectingTo(PgConnectOptions.fromUri(url())).using(vertx).build();
            pool.query(sql).execute().eventually(pool::close)
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("PostgreSQL test server: '" + sql + "' failed: " + e, e);
        } finally {
            await(vertx.close());
        }
    }

    private static String withDatabase(String serverUrl, String database) {
        int slash = serverUrl.indexOf('/', serverUrl.indexOf("://") + 3);
        String base = slash < 0 ? serverUrl : serverUrl.substring(0, slash);
        return base + "/" + database;
    }

    private static String start() {
        String external = System.getenv(URL_ENV);
        if (external != null && !external.isBlank()) {
            source = "env";
            return external;
        }
        if (dockerAvailable()) {
            source = "testcontainers";
            return startContainer();
        }
        Path bin = findBinaries();
        if (bin != null) {
            source = "binaries";
            return startBinaries(bin);
        }
        throw new IllegalStateException("No PostgreSQL for the tests: set " + URL_ENV
                + " (postgresql://user:password@host:port/database), start a Docker engine, or install the PostgreSQL"
                + " server binaries (apt-get install -y postgresql, giving /usr/lib/postgresql/<version>/bin/initdb)");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    @SuppressWarnings("resource")
    private static String startContainer() {
        PostgreSQLContainer container = new PostgreSQLContainer("postgres:16")
                .withUsername(SUPERUSER).withPassword(SUPERUSER).withDatabaseName("postgres");
        container.start();
        Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "eddy-pg-container-stop"));
        return "postgresql://" + SUPERUSER + ":" + SUPERUSER + "@" + container.getHost() + ":"
                + container.getMappedPort(5432) + "/postgres";
    }

    /** The newest usable bin directory, preferring 15. */
    private static Path findBinaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> versions = Files.list(root)) {
            List<Path> bins = versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("pg_ctl")))
                    .sorted(Comparator.comparing((Path b) -> !b.getParent().getFileName().toString().equals("15"))
                            .thenComparing(Comparator.comparing((Path b) -> b.getParent().getFileName().toString()).reversed()))
                    .toList();
            return bins.isEmpty() ? null : bins.get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String startBinaries(Path bin) {
        try {
            boolean root = "root".equals(System.getProperty("user.name"));
            Path dir = Files.createTempDirectory("eddy-pg-");
            Path data = dir.resolve("data");
            if (root) {
                run(List.of("chown", "postgres:postgres", dir.toString()), null);
            }
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            run(asPostgres(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", SUPERUSER,
                    "-A", "trust", "-E", "UTF8", "--no-sync")), dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> stopBinaries(bin, root, dir, data), "eddy-pg-stop"));
            run(asPostgres(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
                    dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                    "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 -c max_connections=300", "start")), dir);
            return "postgresql://" + SUPERUSER + "@127.0.0.1:" + port + "/postgres";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void stopBinaries(Path bin, boolean root, Path dir, Path data) {
        try {
            run(asPostgres(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate",
                    "-w", "stop")), dir);
        } catch (RuntimeException e) {
            System.err.println("stopping the test PostgreSQL failed: " + e.getMessage());
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            System.err.println("removing " + dir + " failed: " + e);
        }
    }

    /** PostgreSQL refuses to run as root: run its tools as the {@code postgres} OS user then. */
    private static List<String> asPostgres(boolean root, List<String> command) {
        if (!root) {
            return command;
        }
        List<String> out = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
        out.addAll(command);
        return out;
    }

    private static void run(List<String> command, Path workDir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            if (workDir != null) {
                pb.directory(workDir.toFile());
            }
            Process p = pb.start();
            byte[] output = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("PostgreSQL test server: " + String.join(" ", command) + " failed:\n"
                        + new String(output, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void await(Future<?> f) {
        try {
            f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
