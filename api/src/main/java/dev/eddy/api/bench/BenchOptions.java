package dev.eddy.api.bench;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.UUID;

/**
 * The settings of one bench run, parsed from the command line. Immutable.
 *
 * @param endpoint    the Kinesis endpoint, e.g. {@code http://localhost:4567}
 * @param records     how many records to write
 * @param recordSize  bytes of data per record (at least {@link BenchRecord#HEADER_SIZE})
 * @param shards      shards of the stream the bench creates
 * @param keys        distinct partition keys
 * @param batch       entries per PutRecords call (1..500)
 * @param concurrency PutRecords calls in flight
 * @param stream      the stream name
 * @param json        print one JSON object instead of text
 * @param http2       talk HTTP/2 (cleartext, prior knowledge) instead of HTTP/1.1
 * @param keep        keep the stream at the end instead of deleting it
 * @param progress    print a progress line on stderr
 */
public record BenchOptions(URI endpoint, long records, int recordSize, int shards, int keys, int batch,
                           int concurrency, String stream, boolean json, boolean http2, boolean keep,
                           boolean progress) {

    static final String USAGE = """
            Usage: eddy bench --endpoint URL [options]

            Writes records with PutRecords through the AWS SDK for Java v2, reads them back with GetRecords,
            verifies them (lost, duplicated, corrupted, reordered per key, non-increasing sequence numbers per
            shard) and reports throughput and latency. Exit code: 0 verified, 1 not verified or failed,
            2 bad arguments.

              --endpoint URL      Kinesis endpoint (required), e.g. http://localhost:4567
              --records N         records to write (default 200000)
              --record-size B     bytes of data per record, at least 32 (default 1024)
              --shards N          shards of the stream (default 4)
              --keys N            distinct partition keys (default 64)
              --batch N           entries per PutRecords call, 1..500 (default 500)
              --concurrency N     PutRecords calls in flight (default 4)
              --stream NAME       stream name (default: a fresh unique name)
              --keep              keep the stream afterwards (default: delete it)
              --http2             use HTTP/2 cleartext (prior knowledge) instead of HTTP/1.1
              --json              print exactly one JSON object on stdout
              --no-progress       no progress line on stderr
              --help              this text
            """;

    /** Thrown for a bad command line; the message says which argument and what was expected. */
    static final class BadArgumentException extends Exception {
        private static final long serialVersionUID = 1L;

        BadArgumentException(String message) {
            super(message);
        }
    }

    /** Parses the arguments; returns {@code null} when {@code --help} was asked for. */
    static BenchOptions parse(String[] args) throws BadArgumentException {
        URI endpoint = null;
        long records = 200_000;
        int recordSize = 1024;
        int shards = 4;
        int keys = 64;
        int batch = 500;
        int concurrency = 4;
        String stream = null;
        boolean json = false;
        boolean http2 = false;
        boolean keep = false;
        boolean progress = true;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String inline = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                inline = arg.substring(eq + 1);
            }
            switch (name) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--json" -> json = true;
                case "--http2" -> http2 = true;
                case "--keep" -> keep = true;
                case "--no-progress" -> progress = false;
                case "--endpoint" -> endpoint = uri(value(args, i, inline, name));
                case "--records" -> records = number(name, value(args, i, inline, name), 1, 1_000_000_000L);
                case "--record-size" -> recordSize = (int) number(name, value(args, i, inline, name),
                        BenchRecord.HEADER_SIZE, 1024 * 1024 - 16);
                case "--shards" -> shards = (int) number(name, value(args, i, inline, name), 1, 10_000);
                case "--keys" -> keys = (int) number(name, value(args, i, inline, name), 1, 1_000_000);
                case "--batch" -> batch = (int) number(name, value(args, i, inline, name), 1, 500);
                case "--concurrency" -> concurrency = (int) number(name, value(args, i, inline, name), 1, 1024);
                case "--stream" -> stream = streamName(value(args, i, inline, name));
                default -> throw new BadArgumentException("unknown argument '" + arg + "' (see --help)");
            }
            if (inline == null && takesValue(name)) {
                i++;
            }
        }
        if (endpoint == null) {
            throw new BadArgumentException("--endpoint URL is required, e.g. --endpoint http://localhost:4567");
        }
        if (stream == null) {
            stream = "eddy-bench-" + UUID.randomUUID().toString().substring(0, 8);
        }
        return new BenchOptions(endpoint, records, recordSize, shards, keys, batch, concurrency, stream, json,
                http2, keep, progress);
    }

    private static boolean takesValue(String name) {
        return switch (name) {
            case "--endpoint", "--records", "--record-size", "--shards", "--keys", "--batch", "--concurrency",
                 "--stream" -> true;
            default -> false;
        };
    }

    private static String value(String[] args, int i, String inline, String name) throws BadArgumentException {
        if (inline != null) {
            return inline;
        }
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new BadArgumentException(name + " needs a value");
        }
        return args[i + 1];
    }

    private static long number(String name, String text, long min, long max) throws BadArgumentException {
        long value;
        try {
            value = Long.parseLong(text.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new BadArgumentException(name + " expects a whole number, got '" + text + "'");
        }
        if (value < min || value > max) {
            throw new BadArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }

    private static URI uri(String text) throws BadArgumentException {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
                throw new BadArgumentException("--endpoint expects an http(s) URL like http://localhost:4567, got '"
                        + text + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new BadArgumentException("--endpoint is not a URL: '" + text + "'");
        }
    }

    private static String streamName(String text) throws BadArgumentException {
        if (!text.matches("[a-zA-Z0-9_.-]{1,128}")) {
            throw new BadArgumentException("--stream must match [a-zA-Z0-9_.-]{1,128}, got '" + text + "'");
        }
        return text;
    }
}
