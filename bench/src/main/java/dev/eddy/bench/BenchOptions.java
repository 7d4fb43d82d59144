package dev.eddy.bench;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
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
 * @param json        print one JSON object instead of text (the report's format, not the wire's: see {@code wire})
 * @param http2       talk HTTP/2 (cleartext, prior knowledge) instead of HTTP/1.1
 * @param keep        keep the stream at the end instead of deleting it
 * @param progress    print a progress line on stderr
 * @param subscribe   subscribe mode: WebSocket subscribers and a paced producer instead of write + read
 * @param subscribers WebSocket subscribers on the stream (subscribe mode)
 * @param rate        records per second the producer puts (subscribe mode)
 * @param duration    how long latency is measured, after the warm-up (subscribe mode)
 * @param warmup      how long the producer runs before latency is measured (subscribe mode)
 * @param eventLoops  Vert.x event loops the subscribers share (subscribe mode)
 * @param producer    subscribe mode's producer: {@code sdk} (the AWS SDK v2) or {@code http} (Kinesis JSON
 *                    PutRecord requests from a Vert.x HTTP client: the same wire calls at a fraction of the CPU)
 * @param latency     latency mode: subscribe mode with one subscriber, reporting acknowledgement latency too
 *                    ({@code subscribe} is then true as well)
 * @param fanOut      subscribe and latency modes: the subscribers are enhanced fan-out consumers (registered
 *                    consumers, SubscribeToShard on every shard) instead of WebSocket subscribers
 * @param wire        the AWS SDK's wire format: {@code cbor} (the SDK v2's default) or {@code json} (JSON 1.1);
 *                    the {@code http} producer always speaks JSON
 */
public record BenchOptions(URI endpoint, long records, int recordSize, int shards, int keys, int batch,
                           int concurrency, String stream, boolean json, boolean http2, boolean keep,
                           boolean progress, boolean subscribe, int subscribers, int rate, Duration duration,
                           Duration warmup, int eventLoops, String producer, boolean latency, String wire,
                           boolean fanOut) {

    /** Record size of subscribe mode unless {@code --record-size} is given: small frames, many of them. */
    static final int SUBSCRIBE_RECORD_SIZE = 100;

    static final String USAGE = """
            Usage: eddy bench --endpoint URL [options]

            Writes records with PutRecords through the AWS SDK for Java v2, reads them back with GetRecords,
            verifies them (lost, duplicated, corrupted, reordered per key, non-increasing sequence numbers per
            shard) and reports throughput and latency. Exit code: 0 verified, 1 not verified or failed,
            2 bad arguments.

            In every mode the bench reads the server's process_cpu_seconds_total from its /metrics before and
            after the measured phase(s) and reports the server's CPU per record ("unknown" when the server runs
            with --metrics false or /metrics cannot be reached; the run goes on).

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
              --wire W            the AWS SDK's wire format: cbor (the SDK v2's default) or json (JSON 1.1)
              --json              print the report as exactly one JSON object on stdout (the report's format;
                                  the wire's is --wire)
              --no-progress       no progress line on stderr
              --help              this text

            Subscribe mode (--subscribe): N WebSocket subscribers (GET /v1/streams/{stream}/subscribe,
            from=LATEST, connected after up to 3,000 unmeasured PutRecord calls warm the SDK up) on one
            stream, and a producer putting one record per PutRecord call at a fixed
            rate on an open-loop schedule (record i is due at start + i/rate, whether or not earlier calls
            have completed). Latency is put-to-receive, measured from each record's SCHEDULED send time to its
            arrival at a subscriber, so a producer or server that falls behind shows up in the figures
            instead of being hidden (coordinated omission); the latency from the actual send is reported too.
            Every subscriber must receive every acknowledged record exactly once, in sequence-number order
            per shard; --records and --batch do not apply, --record-size defaults to 100.

              --subscribe         run subscribe mode instead of write + read
              --subscribers N     WebSocket subscribers (default 10)
              --rate N            records per second the producer puts (default 1000)
              --duration D        how long latency is measured, e.g. 30s, 2m, 500ms (default 30s)
              --warmup D          producing before latency is measured, not in the figures (default 5s)
              --event-loops N     Vert.x event loops the subscribers share (default 1)
              --producer P        sdk: PutRecord through the AWS SDK v2 (default); http: the same Kinesis
                                  JSON PutRecord calls from a Vert.x HTTP client (keep-alive, unsigned),
                                  which costs the 2-core machine far less CPU than the SDK

            Latency mode (--latency): subscribe mode with exactly one subscriber. Single-record PutRecord calls
            at --rate on the same open-loop schedule, reporting the acknowledgement latency (PutRecord answered)
            and the put-to-receive latency at the subscriber, each p50/p90/p99/p99.9/max, measured from the
            scheduled send and from the actual send. The warm-up calls before the schedule (3 s worth of --rate,
            100 to 3,000, 16 in flight) are not paced at the rate, so low rates start at once; --rate 20
            --duration 60s measures 1,200 records. Defaults here: --rate 1000, --duration 30s, --warmup 5s,
            --shards 1, --record-size 100, --producer sdk, --wire cbor; --subscribers does not apply.

              --latency           run latency mode
              --producer P        as above (http always speaks JSON 1.1; --wire applies to sdk)
              --wire W            cbor (default) or json, the SDK producer's wire format

            Enhanced fan-out (--fan-out, with --subscribe or --latency): each subscriber is a registered stream
            consumer (RegisterStreamConsumer) reading every shard with SubscribeToShard from LATEST through the
            AWS SDK v2's async client (HTTP/2, its own connection, --wire as its format), resubscribing after
            each subscription's continuation number when one ends. The same checks and latencies as above; the
            consumers are deregistered at the end unless --keep.

              --fan-out           subscribers are enhanced fan-out consumers
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
        boolean subscribe = false;
        int subscribers = 10;
        int rate = 1000;
        Duration duration = Duration.ofSeconds(30);
        Duration warmup = Duration.ofSeconds(5);
        int eventLoops = 1;
        String producer = "sdk";
        boolean latency = false;
        boolean fanOut = false;
        String wire = null;
        boolean recordSizeGiven = false;
        boolean shardsGiven = false;
        boolean subscribersGiven = false;
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
                case "--subscribe" -> subscribe = true;
                case "--latency" -> latency = true;
                case "--fan-out" -> fanOut = true;
                case "--wire" -> {
                    wire = value(args, i, inline, name);
                    if (!wire.equals("cbor") && !wire.equals("json")) {
                        throw new BadArgumentException("--wire must be cbor or json, got '" + wire + "'");
                    }
                }
                case "--subscribers" -> {
                    subscribers = (int) number(name, value(args, i, inline, name), 1, 10_000);
                    subscribersGiven = true;
                }
                case "--rate" -> rate = (int) number(name, value(args, i, inline, name), 1, 1_000_000);
                case "--duration" -> duration = duration(name, value(args, i, inline, name), Duration.ofMillis(100));
                case "--warmup" -> warmup = duration(name, value(args, i, inline, name), Duration.ZERO);
                case "--event-loops" -> eventLoops = (int) number(name, value(args, i, inline, name), 1, 64);
                case "--producer" -> {
                    producer = value(args, i, inline, name);
                    if (!producer.equals("sdk") && !producer.equals("http")) {
                        throw new BadArgumentException("--producer must be sdk or http, got '" + producer + "'");
                    }
                }
                case "--endpoint" -> endpoint = uri(value(args, i, inline, name));
                case "--records" -> records = number(name, value(args, i, inline, name), 1, 1_000_000_000L);
                case "--record-size" -> {
                    recordSize = (int) number(name, value(args, i, inline, name), BenchRecord.HEADER_SIZE,
                            1024 * 1024 - 16);
                    recordSizeGiven = true;
                }
                case "--shards" -> {
                    shards = (int) number(name, value(args, i, inline, name), 1, 10_000);
                    shardsGiven = true;
                }
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
        if (fanOut && !subscribe && !latency) {
            throw new BadArgumentException("--fan-out applies to --subscribe and --latency");
        }
        if (latency && subscribe) {
            throw new BadArgumentException("--latency and --subscribe are two modes: give one of them");
        }
        if (latency && subscribersGiven) {
            throw new BadArgumentException("--latency measures through exactly one subscriber: use --subscribe for "
                    + "--subscribers");
        }
        if (producer.equals("http") && "cbor".equals(wire)) {
            throw new BadArgumentException("--producer http always speaks JSON 1.1: --wire cbor applies to --producer "
                    + "sdk only");
        }
        if (wire == null) {
            wire = producer.equals("http") ? "json" : "cbor";
        }
        if (latency) {
            subscribe = true;
            subscribers = 1;
            if (!shardsGiven) {
                shards = 1;
            }
        }
        if (subscribe && (warmup.toMillis() + duration.toMillis()) / 1000.0 * rate > 100_000_000) {
            throw new BadArgumentException("--rate x (--warmup + --duration) must be at most 100,000,000 records");
        }
        if (subscribe && !recordSizeGiven) {
            recordSize = SUBSCRIBE_RECORD_SIZE;
        }
        return new BenchOptions(endpoint, records, recordSize, shards, keys, batch, concurrency, stream, json,
                http2, keep, progress, subscribe, subscribers, rate, duration, warmup, eventLoops, producer, latency, wire,
                fanOut);
    }

    private static boolean takesValue(String name) {
        return switch (name) {
            case "--endpoint", "--records", "--record-size", "--shards", "--keys", "--batch", "--concurrency",
                 "--stream", "--subscribers", "--rate", "--duration", "--warmup", "--event-loops", "--producer",
                 "--wire" -> true;
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

    /** {@code 30s}, {@code 2m}, {@code 500ms}, or a plain number of seconds. */
    private static Duration duration(String name, String text, Duration min) throws BadArgumentException {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (t.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            } else if (t.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            } else if (t.endsWith("m")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 60_000));
            } else {
                d = Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
            }
        } catch (NumberFormatException e) {
            throw new BadArgumentException(name + " expects a duration like 30s, 2m or 500ms, got '" + text + "'");
        }
        if (d.compareTo(min) < 0 || d.compareTo(Duration.ofHours(24)) > 0) {
            throw new BadArgumentException(name + " must be between " + min.toMillis() + " ms and 24 h, got '"
                    + text + "'");
        }
        return d;
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
