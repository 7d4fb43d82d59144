package dev.eddy.api;

import dev.eddy.platform.PlatformOptions;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The server's settings: the one place that names every setting, its default, flag, environment
 * variable and meaning. Immutable.
 *
 * <p>Precedence: command-line flag ({@code --port 4567} or {@code --port=4567}) &gt; environment
 * variable ({@code EDDY_PORT}) &gt; default. {@link #help()} lists every setting.
 *
 * @param port              TCP port; 0 picks a free one
 * @param host              interface to bind
 * @param tls               the TLS port (off by default) and its certificate
 * @param dataDir           the data directory: MapDB's files, and the self-signed TLS certificate in {@code tls/}
 * @param storage           {@code mapdb}, {@code memory} or {@code postgres}
 * @param pgUrl             the PostgreSQL URL ({@code postgresql://user:pass@host:port/db}) for {@code postgres}
 * @param pgPoolSize        connections in the PostgreSQL pool
 * @param region            the AWS region named in ARNs
 * @param accountId         the 12-digit account id named in ARNs
 * @param maxRequestBytes   largest accepted request body
 * @param createStreamDelay how long a new stream stays CREATING
 * @param deleteStreamDelay how long a deleted stream stays DELETING
 * @param shardLimit        most shards one stream may have
 * @param httpInstances     HTTP server instances (event loops serving requests); 0 means one per CPU core
 * @param jvmOptions        JVM options of the server process the launcher starts; {@code none} runs in-process
 * @param metrics           whether {@code /metrics} and the meters are on
 * @param shardLevelMetrics streams with shard-level metrics: {@code *}, a comma-separated list of names, or empty
 * @param clock             clock for arrival timestamps and iterator expiry (not a setting; tests inject it)
 */
public record EddyConfig(int port, String host, TlsSettings tls, Path dataDir, String storage, String pgUrl, int pgPoolSize,
                         String region, String accountId,
                         int maxRequestBytes, Duration createStreamDelay, Duration deleteStreamDelay,
                         int shardLimit, int httpInstances, String jvmOptions, boolean metrics,
                         String shardLevelMetrics, Clock clock) {

    /** The server's version, shown in the banner. */
    public static final String VERSION = "0.1.0";

    /** One setting: how it is named on the command line and in the environment, and how it is applied. */
    private record Setting(String name, String defaultValue, String description,
                           BiFunction<EddyConfig, String, EddyConfig> apply) {

        String flag() {
            return "--" + name;
        }

        String env() {
            return "EDDY_" + name.replace('-', '_').toUpperCase(Locale.ROOT);
        }
    }

    private static final List<Setting> SETTINGS = List.of(
            new Setting("port", "4567", "TCP port to listen on (0 picks a free port)",
                    (c, v) -> c.withPort(intIn(v, 0, 65535))),
            new Setting("host", "0.0.0.0", "interface to bind",
                    (c, v) -> c.withHost(nonBlank(v))),
            new Setting("tls-port", "",
                    "TLS port for https and wss, HTTP/2 and HTTP/1.1 (0 picks a free port; empty: no TLS)",
                    (c, v) -> c.withTls(c.tls.withPort(v.isEmpty() ? -1 : intIn(v, 0, 65535)))),
            new Setting("tls-cert", "",
                    "PEM certificate (chain) of the TLS port, with --tls-key; empty: a self-signed one in <data-dir>/tls",
                    (c, v) -> c.withTls(c.tls.withFiles(v.isEmpty() ? null : Path.of(v), c.tls.key()))),
            new Setting("tls-key", "", "PEM private key (unencrypted) of --tls-cert",
                    (c, v) -> c.withTls(c.tls.withFiles(c.tls.cert(), v.isEmpty() ? null : Path.of(v)))),
            new Setting("data-dir", "./data", "data directory: the mapdb storage, and the self-signed TLS certificate",
                    (c, v) -> c.withDataDir(Path.of(nonBlank(v)))),
            new Setting("storage", "mapdb",
                    "storage backend: mapdb (durable, embedded), postgres (durable, needs --pg-url) or memory (lost on exit)",
                    (c, v) -> c.withStorage(v)),
            new Setting("pg-url", "", "PostgreSQL URL for --storage postgres: postgresql://user:pass@host:port/db",
                    (c, v) -> c.withPostgres(v, c.pgPoolSize)),
            new Setting("pg-pool-size", "8", "connections in the PostgreSQL pool",
                    (c, v) -> c.withPostgres(c.pgUrl, intIn(v, 1, 1024))),
            new Setting("region", "us-east-1", "AWS region named in stream ARNs",
                    (c, v) -> c.withRegion(matching(v, "[a-z0-9-]+", "a region such as us-east-1"))),
            new Setting("account", "000000000000", "12-digit AWS account id named in stream ARNs",
                    (c, v) -> c.withAccountId(matching(v, "\\d{12}", "12 digits"))),
            new Setting("max-request-bytes", "10485760", "largest accepted request body in bytes",
                    (c, v) -> c.withMaxRequestBytes(intIn(v, 1024, Integer.MAX_VALUE))),
            new Setting("create-stream-delay-ms", "0", "milliseconds a new stream stays CREATING",
                    (c, v) -> c.withStreamDelays(Duration.ofMillis(intIn(v, 0, 3_600_000)), c.deleteStreamDelay)),
            new Setting("delete-stream-delay-ms", "0", "milliseconds a deleted stream stays DELETING",
                    (c, v) -> c.withStreamDelays(c.createStreamDelay, Duration.ofMillis(intIn(v, 0, 3_600_000)))),
            new Setting("shard-limit", "1024", "most shards one stream may have",
                    (c, v) -> c.withShardLimit(intIn(v, 1, 100_000))),
            new Setting("http-instances", "0", "HTTP server instances (event loops); 0 = one per CPU core",
                    (c, v) -> c.withHttpInstances(intIn(v, 0, 256))),
            new Setting("jvm-options", ServerProcess.DEFAULT_JVM_OPTIONS,
                    "JVM options of the server process (bounded heap); 'none' runs in the launching JVM",
                    (c, v) -> c.withJvmOptions(v)),
            new Setting("metrics", "true", "serve Prometheus metrics at /metrics (false: no meters at all)",
                    (c, v) -> c.withMetrics(bool(v), c.shardLevelMetrics)),
            new Setting("shard-level-metrics", "",
                    "streams whose metrics also get a shard label: * for all, or a comma-separated list of names",
                    (c, v) -> c.withMetrics(c.metrics, v.trim())));

    public EddyConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(createStreamDelay, "createStreamDelay");
        Objects.requireNonNull(deleteStreamDelay, "deleteStreamDelay");
        Objects.requireNonNull(jvmOptions, "jvmOptions");
        Objects.requireNonNull(clock, "clock");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be 0..65535, was " + port);
        }
        if (tls.enabled() && tls.port() != 0 && tls.port() == port) {
            throw new IllegalArgumentException("the TLS port must differ from the cleartext port (--port " + port + ")");
        }
        Objects.requireNonNull(pgUrl, "pgUrl");
        if (!storage.equals("mapdb") && !storage.equals("memory") && !storage.equals("postgres")) {
            throw new IllegalArgumentException("storage must be mapdb, postgres or memory, was '" + storage + "'");
        }
    }

    /** Every setting at its default. */
    public static EddyConfig defaults() {
        EddyConfig config = new EddyConfig(4567, "0.0.0.0", TlsSettings.OFF, Path.of("./data"), "mapdb", "", 8, "us-east-1",
                "000000000000", 10 * 1024 * 1024, Duration.ZERO, Duration.ZERO, 1024, 0, "", true, "", Clock.systemUTC());
        for (Setting s : SETTINGS) {
            config = s.apply.apply(config, s.defaultValue); // keeps the table above the single source of defaults
        }
        return config;
    }

    /**
     * Reads the settings from flags and environment over the defaults.
     *
     * @throws IllegalArgumentException naming the flag or variable and the expected value
     */
    public static EddyConfig parse(String[] args, Map<String, String> env) {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("Unexpected argument '" + arg + "'. Run with --help to list the settings.");
            }
            String name;
            String value;
            int eq = arg.indexOf('=');
            if (eq >= 0) {
                name = arg.substring(2, eq);
                value = arg.substring(eq + 1);
            } else {
                name = arg.substring(2);
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("Option --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (find(name) == null) {
                throw new IllegalArgumentException("Unknown option '--" + name + "'. Run with --help to list the settings.");
            }
            flags.put(name, value);
        }
        EddyConfig config = defaults();
        for (Setting s : SETTINGS) {
            String value = flags.get(s.name);
            String source = s.flag();
            if (value == null && env.get(s.env()) != null) {
                value = env.get(s.env());
                source = "environment variable " + s.env();
            }
            if (value != null) {
                try {
                    config = s.apply.apply(config, value.trim());
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("Invalid value '" + value + "' for " + source + ": "
                            + e.getMessage(), e);
                }
            }
        }
        if (config.storage.equals("postgres") && config.pgUrl.isEmpty()) {
            throw new IllegalArgumentException("--storage postgres needs the database URL: --pg-url "
                    + "postgresql://user:pass@host:port/db (or EDDY_PG_URL)");
        }
        if ((config.tls.cert() == null) != (config.tls.key() == null)) {
            throw new IllegalArgumentException("--tls-cert and --tls-key (EDDY_TLS_CERT, EDDY_TLS_KEY) go together: "
                    + "give both, or neither for a self-signed certificate");
        }
        if (!config.tls.selfSigned() && !config.tls.enabled()) {
            throw new IllegalArgumentException("--tls-cert and --tls-key need --tls-port (or EDDY_TLS_PORT)");
        }
        return config;
    }

    /** The PostgreSQL URL without its password, for banners and logs. */
    public String pgUrlForDisplay() {
        return pgUrl.replaceFirst("://([^:@/]*):[^@/]*@", "://$1:***@");
    }

    /** Whether the arguments ask for help ({@code --help} or {@code -h}). */
    public static boolean wantsHelp(String[] args) {
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /** The usage text: every setting with its flag, environment variable, default and description. */
    public static String help() {
        StringBuilder out = new StringBuilder();
        out.append("Eddy ").append(VERSION).append(" - a durable Kinesis-compatible streaming server\n\n")
                .append("Usage: java -jar eddy.jar [options]\n")
                .append("       java -jar eddy.jar bench [bench options]   (runs eddy-bench.jar, the load generator; 'bench --help')\n\n")
                .append("Options (flag > environment variable > default):\n");
        List<String[]> rows = new ArrayList<>();
        for (Setting s : SETTINGS) {
            rows.add(new String[]{s.flag() + " <value>", s.env(), s.defaultValue, s.description});
        }
        rows.add(new String[]{"--help", "", "", "print this help and exit"});
        // A default too long for the column (the JVM options) goes on a line of its own below its row.
        int maxDefault = 14;
        int[] widths = new int[3];
        for (String[] row : rows) {
            for (int i = 0; i < 3; i++) {
                int length = i == 2 && row[i].length() > maxDefault ? 0 : row[i].length();
                widths[i] = Math.max(widths[i], length);
            }
        }
        for (String[] row : rows) {
            boolean longDefault = row[2].length() > maxDefault;
            out.append(String.format("  %-" + widths[0] + "s  %-" + widths[1] + "s  %-" + Math.max(widths[2], 1)
                    + "s  %s%n", row[0], row[1], longDefault ? "" : row[2], row[3]));
            if (longDefault) {
                out.append(String.format("  %-" + widths[0] + "s  default: %s%n", "", row[2]));
            }
        }
        return out.toString();
    }

    /** The platform's options derived from these settings. */
    public PlatformOptions platformOptions() {
        PlatformOptions defaults = PlatformOptions.defaults();
        return new PlatformOptions(region, accountId, clock, createStreamDelay, deleteStreamDelay,
                defaults.iteratorTtl(), shardLimit);
    }

    public EddyConfig withPort(int port) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withHost(String host) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withTls(TlsSettings tls) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withDataDir(Path dataDir) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withStorage(String storage) {
        return new EddyConfig(port, host, tls, dataDir, storage.toLowerCase(Locale.ROOT), pgUrl, pgPoolSize, region, accountId,
                maxRequestBytes, createStreamDelay, deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withRegion(String region) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withAccountId(String accountId) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withMaxRequestBytes(int maxRequestBytes) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withStreamDelays(Duration createStreamDelay, Duration deleteStreamDelay) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withShardLimit(int shardLimit) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withHttpInstances(int httpInstances) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withPostgres(String pgUrl, int pgPoolSize) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl.trim(), pgPoolSize, region, accountId,
                maxRequestBytes, createStreamDelay, deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withJvmOptions(String jvmOptions) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions.trim(), metrics, shardLevelMetrics, clock);
    }

    /** The number of HTTP server instances to run: {@link #httpInstances}, or one per core when 0. */
    public int effectiveHttpInstances() {
        return httpInstances > 0 ? httpInstances : Runtime.getRuntime().availableProcessors();
    }

    public EddyConfig withMetrics(boolean metrics, String shardLevelMetrics) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    public EddyConfig withClock(Clock clock) {
        return new EddyConfig(port, host, tls, dataDir, storage, pgUrl, pgPoolSize, region, accountId, maxRequestBytes, createStreamDelay,
                deleteStreamDelay, shardLimit, httpInstances, jvmOptions, metrics, shardLevelMetrics, clock);
    }

    private static Setting find(String name) {
        return SETTINGS.stream().filter(s -> s.name.equals(name)).findFirst().orElse(null);
    }

    private static int intIn(String value, int min, int max) {
        long parsed;
        try {
            parsed = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected an integer in " + min + ".." + max);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException("expected an integer in " + min + ".." + max);
        }
        return (int) parsed;
    }

    private static boolean bool(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes" -> true;
            case "false", "off", "no" -> false;
            default -> throw new IllegalArgumentException("expected true or false");
        };
    }

    private static String nonBlank(String value) {
        if (value.isBlank()) {
            throw new IllegalArgumentException("expected a non-empty value");
        }
        return value;
    }

    private static String matching(String value, String regex, String expected) {
        if (!value.matches(regex)) {
            throw new IllegalArgumentException("expected " + expected);
        }
        return value;
    }
}
